extends SceneTree
# Plays the addon's demo scene as a player would, headless (godot3-server), for tests/godot:
# reads res://check.json (url, token, seed, encoding, the InputMap actions to hold for each step,
# out folder, optional cut_after), presses those InputMap actions one step at a time, saves every
# frame it receives as out/frame_NNN.png and writes out/result.json with the signals it saw.

var config = {}
var world = null
var result = {"events": [], "frames": [], "errors": []}
var held = ""
var finished = false


func _init():
	var f = File.new()
	f.open("res://check.json", File.READ)
	config = parse_json(f.get_as_text())
	f.close()
	var demo = load("res://addons/genie_studio/demo/genie_world_demo.tscn").instance()
	world = demo.get_node("GenieWorld")
	world.server_url = config["url"]
	world.token = config["token"]
	world.seed_value = int(config["seed"])
	world.encoding = config["encoding"]
	world.step_rate = 30.0
	world.autostart = false
	world.connect("connected", self, "_on_connected")
	world.connect("session_opened", self, "_on_opened")
	world.connect("frame_received", self, "_on_frame")
	world.connect("error_occurred", self, "_on_error")
	world.connect("disconnected", self, "_on_disconnected")
	root.add_child(demo)
	Engine.target_fps = 120
	create_timer(float(config["timeout"])).connect("timeout", self, "_finish", ["timeout"])
	world.start()


func _on_connected(_welcome):
	result["events"].append("connected")


func _on_opened(info):
	result["events"].append("opened")
	result["labels"] = info["labels"]


func _on_frame(image, index, action):
	result["frames"].append([index, action])
	image.save_png("%s/frame_%03d.png" % [config["out"], index])
	var actions = config["actions"]
	if held != "":
		Input.action_release(held)
		held = ""
	if index >= actions.size():
		_finish("done")
		return
	held = actions[index]
	if held != "":
		Input.action_press(held)
	if config.has("cut_after") and index == int(config["cut_after"]):
		world.playing = false  # the test arms the proxy to cut the next reply, then says go
		_write("%s/cut_ready" % config["out"], "")
		_wait_for_go()


func _wait_for_go():
	var f = File.new()
	if f.file_exists("%s/go" % config["out"]):
		world.playing = true
	else:
		create_timer(0.05).connect("timeout", self, "_wait_for_go")


func _on_error(code, message):
	result["errors"].append([code, message])
	if code in ["auth_failed", "unreachable", "version_mismatch"]:
		create_timer(0.5).connect("timeout", self, "_finish", ["error"])


func _on_disconnected(code, _reason):
	result["events"].append("disconnected %d" % code)


func _finish(why):
	if finished:
		return
	finished = true
	result["end"] = why
	result["reconnects"] = world.reconnects
	result["replays"] = world.replays
	world.stop()
	_write("%s/result.json" % config["out"], to_json(result))
	quit()


func _write(path, text):
	var f = File.new()
	f.open(path, File.WRITE)
	f.store_string(text)
	f.close()
