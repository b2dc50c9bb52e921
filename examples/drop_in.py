import torch

import vimax

x, y = torch.rand(100, 1, 28, 28), torch.randint(0, 10, (100,))  # a batch of your data
trunk = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 1024), torch.nn.ReLU(),
                            torch.nn.Linear(1024, 2 * 256))
encoder = vimax.GaussianEncoder(trunk, latent_dim=256)   # trunk: x -> (B, 2K) features
decoder = torch.nn.Linear(256, 10)                      # logistic regression p(y|z)
objective = vimax.VariationalInfoMax(beta=1e-3, prior_std=1.0)  # or VariationalInformationBottleneck
posterior = encoder(x)                   # mean (B, K), std (B, K)
z = posterior.rsample()                  # (B, K), reparameterised; rsample(n) -> (n, B, K)
out = objective(decoder(z), y, posterior, z)   # out.loss (scalar), out.terms (dict of floats)
out.loss.backward()
print(vimax.regulariser_diagnostics((encoder, decoder), objective, x, y))  # is beta doing anything?
