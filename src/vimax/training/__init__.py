"""Training: the config, the loop, the run folder, loading a finished run."""

from vimax.config.train import TrainConfig
from vimax.training.loop import TrainingDiverged, fit, train_epoch
from vimax.training.run_folder import RunFolder

__all__ = ["RunFolder", "TrainConfig", "TrainingDiverged", "fit", "train_epoch"]
