"""player layer (see docs/architecture.md, "Layers"): the pygame window, ``window.run_player``.

SDL hints are set here, before any module of this package imports pygame (see genie_studio.input).
"""

import os

os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# SIGINT/SIGTERM stay with the program (run_player stops on them), not SDL (issue #15, defect 11)
os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
