"""A community gamecontrollerdb.txt keeps its good lines when some are bad (issue #15, defect 12)."""

from genie_studio.input import mappings

GUID = "03000000de280000ff11000001000000"
GOOD = [
    f"{GUID},Steam Virtual Gamepad,a:b0,b:b1,x:b2,y:b3,misc2:b11,misc3:b12,platform:Linux,",
    "xinput,XInput Controller,a:b0,b:b1,back:b6,dpdown:h0.4,leftx:a0,platform:Windows,",
    f"{GUID[:-1]}1,Pad with hint,a:b0,hint:!SDL_GAMECONTROLLER_USE_BUTTON_LABELS:=1,misc6:b9,",
]
BAD = ["not a mapping", f"{GUID},Pad,jump:b0", f"{GUID},Pad,a:q9"]


def test_bad_lines_are_skipped_one_by_one(monkeypatch):
    monkeypatch.delenv(mappings.ENV, raising=False)
    f = mappings.user_mappings_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("# community file\n" + "\n".join([GOOD[0], BAD[0], GOOD[1], BAD[1], BAD[2], GOOD[2]]) + "\n")
    skipped = []
    added = mappings.install(skipped=skipped)
    assert added == [g.strip() for g in GOOD]
    assert len(skipped) == 3 and "line 3" in skipped[0]
    assert all(g in mappings.os.environ[mappings.ENV] for g in GOOD)
