"""``python -m vimax`` is the ``vimax`` command."""

import sys

from vimax.cli import main

sys.exit(main())
