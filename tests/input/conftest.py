import pytest

from tests.input.virtual_pad import VirtualPad


@pytest.fixture
def plug():
    """plug(kind=..., naxes=..., nbuttons=..., nhats=...) -> a VirtualPad, unplugged after the test."""
    made = []

    def make(*args, **kw):
        pad = VirtualPad(*args, **kw)
        made.append(pad)
        return pad

    yield make
    for pad in made:
        pad.unplug()
