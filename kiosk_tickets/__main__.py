"""`python -m kiosk_tickets` runs the command line."""

from .cli import main

raise SystemExit(main())
