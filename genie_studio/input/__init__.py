"""Input adapters (pygame/SDL2): keyboard and gamepads -> the input ids of genie_studio.controls.

Importing this package sets two SDL hints before SDL starts, so set them here rather than anywhere
later: ``SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS=1`` (gamepads keep working while another window, e.g. the
Qt editor, has the focus) and ``PYGAME_HIDE_SUPPORT_PROMPT=1``.
"""

import os

os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
