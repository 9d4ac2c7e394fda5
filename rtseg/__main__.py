"""``python -m rtseg`` runs the command line."""

from rtseg.cli import main

raise SystemExit(main())
