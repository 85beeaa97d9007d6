"""Input adapters (pygame/SDL2): keyboard and gamepads -> the input ids of genie_studio.controls.

Importing this package sets SDL hints before SDL starts, so set them here rather than anywhere
later: ``SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS=1`` (gamepads keep working while another window, e.g. the
Qt editor, has the focus), ``SDL_NO_SIGNAL_HANDLERS=1`` (SIGINT and SIGTERM stay with the program)
and ``PYGAME_HIDE_SUPPORT_PROMPT=1``.
"""

import os

os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
# SDL must not take SIGINT/SIGTERM (it turns them into an SDL_QUIT event that the Qt editor never reads):
# the front ends handle them (issue #15, defect 11)
os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
