"""Speed measurements of vimax, kept beside the library and not installed with it.

Run from the root of a clone: ``python -m benchmarks.bench [--json] ...``; what is
measured and the results so far: ``benchmarks/README.md``. Modules: ``config``
(what to measure), ``timing`` (``torch.utils.benchmark`` Timer, round-robin and
paired ratios), ``flops`` (``FlopCounterMode``, matmul peak), ``ceiling`` (the
step's matmuls alone), ``plain_loop`` (the hand-written reference loop), ``loops``
(the timed calls), ``training``, ``evaluation``, ``memory``, ``suite`` (all of it),
``targets`` (issue 16's), ``table``, ``bench`` (the command line) and ``compare``
(two runs' agreement: ``python -m benchmarks.compare a.json b.json``).
"""
