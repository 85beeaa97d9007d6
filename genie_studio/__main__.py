from genie_studio.cli import main

raise SystemExit(main())
