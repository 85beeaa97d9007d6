import json

from genie_studio.cli import main


def test_record_json_duration_matches_recording_json(model_dir, prompt, tmp_path, capsys):
    out = tmp_path / "rec"
    assert main(["record", str(prompt), "--model", str(model_dir), "--actions", "0*4,1*3", "--out", str(out),
                 "--fps", "15", "--json"]) == 0
    captured = capsys.readouterr()
    info = json.loads(captured.out)  # stdout is JSON only: no progress bar mixed in
    header = json.loads((out / "recording.json").read_text())
    assert info["duration"] == header["duration"] == round(8 / 15, 3)
