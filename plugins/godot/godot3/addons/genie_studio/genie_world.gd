extends TextureRect
class_name GenieWorld
# A live Genie world inside Godot 3: connects to `genie-studio serve` over its websocket protocol
# (docs/protocol.md), opens a session from a prompt image, steps it at `step_rate` with the latent
# action that the pressed InputMap actions map to (`action_map`), and shows the frames as a texture
# with nearest filtering. After a dropped connection it reconnects and resumes the session (or
# replays it, if the server restarted), as the Python client RemoteSession does.

signal connected(welcome)
signal session_opened(info)
signal frame_received(image, index, action)
signal error_occurred(code, message)
signal disconnected(code, reason)

const PROTOCOL_VERSION = 1
const CLIENT_NAME = "genie-studio-godot3 0.1.0"
const ActionMap = preload("genie_action_map.gd")

export(String) var server_url = "ws://127.0.0.1:8765"
export(String) var token = ""
# The prompt: a texture, or a PNG/JPEG file (res://, user:// or an absolute path).
export(Texture) var prompt_texture = null
export(String) var prompt_path = ""
export(String) var model = ""  # empty: the server's default model
export(int) var seed_value = 0
export(int, 1, 32) var maskgit_steps = 2
export(float, 0.0, 100.0) var temperature = 1.0
export(float, 0.1, 120.0) var step_rate = 15.0  # steps per second while playing
export(bool) var playing = true  # step with the input's action at step_rate
export(bool) var autostart = true  # connect in _ready
# a GenieActionMap (Godot 3 exports cannot name a script class; the setter refuses any other resource)
export(Resource) var action_map = null setget set_action_map  # null: arrow keys
export(String, "auto", "raw", "zlib", "png") var encoding = "auto"  # auto: raw on loopback, else zlib
export(bool) var auto_reconnect = true
export(float) var reconnect_timeout = 30.0

var labels = []
var resolution = []
var frame_index = -1
var last_image = null
var session_id = ""
var reconnects = 0
var replays = 0

var _ws = null
var _state = "idle"  # idle, connecting, hello, ready, closed
var _prompt_bytes = PoolByteArray()
var _resume = ""
var _version = 0
var _log = []  # [action index, steps, temperature] per step since the prompt
var _next_id = 1
var _pending = {}  # request id -> [kind, action]
var _waiting_step = null  # the step in flight: [action label or index]
var _since_step = 0.0
var _retry_in = -1.0
var _reconnect_delay = 0.05
var _gave_up_at = 0.0
var _fatal = false
var _close_code = -1
var _close_reason = ""


func set_action_map(value):
	if value != null and not value is ActionMap:
		push_error("GenieWorld.action_map must be a GenieActionMap (genie_action_map.gd), not %s" % value)
		return
	action_map = value


func _ready():
	expand = true
	stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	if action_map == null:
		action_map = ActionMap.new()
	if autostart and not Engine.editor_hint:
		start()


func start() -> bool:
	# Connect and open a session from the prompt. Returns false (and emits error_occurred) if the
	# prompt cannot be read.
	if not _load_prompt():
		return false
	_fatal = false
	_gave_up_at = OS.get_ticks_msec() / 1000.0 + reconnect_timeout
	return _connect()


func stop():
	# Close the session and the connection; no reconnect.
	_fatal = true
	_retry_in = -1.0
	if _state == "ready" and session_id != "":
		_send_text({"type": "close", "session": session_id})
	var was = _state
	_state = "closed"
	if _ws != null and was != "closed":
		_ws.disconnect_from_host(1000, "bye")
	session_id = ""
	_resume = ""


func step(action) -> bool:
	# Step once with an action (label or index). False while a step is in flight or not connected.
	if _state != "ready" or session_id == "" or _waiting_step != null:
		return false
	_waiting_step = [action]
	_send_text({"type": "step", "session": session_id, "action": action}, "step", action)
	return true


func current_action():
	return action_map.action_for_input()


func _process(delta):
	if _ws != null:
		_ws.poll()
	if _retry_in >= 0.0:
		_retry_in -= delta
		if _retry_in < 0.0:
			_reconnect()
		return
	if playing and _state == "ready" and session_id != "" and _waiting_step == null:
		_since_step += delta
		if _since_step >= 1.0 / max(step_rate, 0.1):
			_since_step = 0.0
			step(current_action())


func _exit_tree():
	stop()


# ---- connection -------------------------------------------------------------------------------
func _connect() -> bool:
	# A new client; the old one (if any) is dropped and closes its socket when freed.
	_ws = WebSocketClient.new()
	# Room for a prompt (the server's max_prompt is 4 MiB) and a raw frame up to ~1024x1024.
	_ws.set_buffers(4096, 64, 8192, 64)
	_ws.connect("connection_established", self, "_on_open")
	_ws.connect("connection_error", self, "_on_closed", [false])
	_ws.connect("connection_closed", self, "_on_closed")
	_ws.connect("server_close_request", self, "_on_close_request")
	_ws.connect("data_received", self, "_on_data")
	_state = "connecting"
	_pending.clear()
	if _ws.connect_to_url(server_url) != OK:
		_on_closed(false)
		return false
	return true


func _on_open(_protocol):
	_state = "hello"
	var hello = {"type": "hello", "version": PROTOCOL_VERSION, "client": CLIENT_NAME}
	hello["token"] = token if token != "" else null
	_send_text(hello, "hello")


func _on_close_request(code, reason):
	_close_code = code
	_close_reason = reason


func _on_closed(_was_clean):
	# Called from inside _ws.poll(): keep _ws referenced (a new client replaces it on reconnect).
	if _state == "closed":
		return
	var was = _state
	_state = "closed"
	_pending.clear()
	if was != "connecting":
		emit_signal("disconnected", _close_code, _close_reason)
	_close_code = -1
	_close_reason = ""
	if _fatal or not auto_reconnect:
		return
	if OS.get_ticks_msec() / 1000.0 + _reconnect_delay > _gave_up_at:
		_fatal = true
		emit_signal("error_occurred", "unreachable", "the world server at %s is unreachable; gave up after %s s"
				% [server_url, reconnect_timeout])
		return
	_retry_in = _reconnect_delay
	_reconnect_delay = min(_reconnect_delay * 2.0, 1.0)


func _reconnect():
	_retry_in = -1.0
	_connect()


# ---- messages ---------------------------------------------------------------------------------
func _send_text(msg: Dictionary, kind := "", action = null):
	msg["id"] = _next_id
	_pending[_next_id] = [kind if kind != "" else str(msg["type"]), action]
	_next_id += 1
	var peer = _ws.get_peer(1)
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_TEXT)
	peer.put_packet(JSON.print(msg).to_utf8())


func _send_binary(msg: Dictionary, payload: PoolByteArray, kind: String):
	# u32 big-endian header length | JSON header | payload
	msg["id"] = _next_id
	_pending[_next_id] = [kind, null]
	_next_id += 1
	var header = JSON.print(msg).to_utf8()
	var n = header.size()
	var data = PoolByteArray([(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255])
	data.append_array(header)
	data.append_array(payload)
	var peer = _ws.get_peer(1)
	peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
	peer.put_packet(data)


func _on_data():
	var peer = _ws.get_peer(1)
	while _state != "closed" and peer.get_available_packet_count() > 0:
		var packet = peer.get_packet()
		if peer.was_string_packet():
			_handle(_parse_json(packet.get_string_from_utf8()), PoolByteArray())
		elif packet.size() >= 4:
			var n = (packet[0] << 24) | (packet[1] << 16) | (packet[2] << 8) | packet[3]
			if 4 + n > packet.size():
				_report("bad_message", "binary message shorter than its header")
				continue
			var payload = PoolByteArray()
			if packet.size() > 4 + n:
				payload = packet.subarray(4 + n, packet.size() - 1)
			_handle(_parse_json(packet.subarray(4, 3 + n).get_string_from_utf8()), payload)


func _parse_json(text: String) -> Dictionary:
	var parsed = JSON.parse(text)
	if parsed.error != OK or typeof(parsed.result) != TYPE_DICTIONARY:
		return {"type": "error", "code": "bad_message", "message": "the server sent something that is not JSON"}
	return parsed.result


func _handle(msg: Dictionary, payload: PoolByteArray):
	var kind = ["", null]
	if msg.has("id") and msg["id"] != null and _pending.has(int(msg["id"])):
		kind = _pending[int(msg["id"])]
		_pending.erase(int(msg["id"]))
	match str(msg.get("type", "")):
		"welcome":
			_state = "ready"
			_reconnect_delay = 0.05
			_gave_up_at = OS.get_ticks_msec() / 1000.0 + reconnect_timeout
			emit_signal("connected", msg)
			if _resume != "":
				reconnects += 1
				_send_text({"type": "resume", "resume": _resume})
			else:
				_open([])
		"opened":
			_on_opened(msg, payload, kind[0])
		"frame":
			_waiting_step = null
			_version = int(msg["version"])
			_log.append([int(msg["action"]), maskgit_steps, temperature])
			_show(msg, payload)
		"error":
			_on_error(msg, kind)
		"shutdown":
			pass  # the close that follows triggers the reconnect
		_:
			pass  # pong, closed, set, models: nothing to do


func _open(replay: Array):
	var msg = {"type": "open", "seed": seed_value, "steps": maskgit_steps, "temperature": temperature,
			"encoding": _encoding(), "replay": replay}
	if model != "":
		msg["model"] = model
	_send_binary(msg, _prompt_bytes, "open")


func _on_opened(msg: Dictionary, payload: PoolByteArray, kind: String):
	var version = int(msg["version"])
	if kind == "resume":
		if version == _version + 1 and _waiting_step != null:
			# The step in flight took effect before the connection dropped: this is its frame.
			_waiting_step = null
			_log.append([int(msg["action"]), maskgit_steps, temperature])
		elif version != _version:
			# Diverged (should not happen): start over from the prompt and the log.
			_send_text({"type": "close", "session": str(msg["session"])})
			replays += 1
			_open(_log)
			return
	session_id = str(msg["session"])
	_resume = str(msg["resume"])
	_version = version
	labels = msg.get("labels", [])
	resolution = msg.get("resolution", [])
	if kind == "open":
		emit_signal("session_opened", msg)
	_show(msg, payload)
	if _waiting_step != null:  # not done before the drop: send it again
		var action = _waiting_step[0]
		_waiting_step = null
		step(action)


func _on_error(msg: Dictionary, kind: Array):
	var code = str(msg.get("code", "internal"))
	var message = str(msg.get("message", ""))
	if code == "rate_limited" and kind[0] == "step":
		_waiting_step = null  # the next _process tick tries again
		return
	if code == "unknown_session" and kind[0] in ["resume", "step"]:
		# The server no longer knows the session (it restarted): open it again and replay the log.
		replays += 1
		session_id = ""
		_resume = ""
		_open(_log)
		return
	if kind[0] == "step":
		_waiting_step = null
	if bool(msg.get("fatal", false)):
		_fatal = true
	emit_signal("error_occurred", code, message)


# ---- frames -----------------------------------------------------------------------------------
func _show(msg: Dictionary, payload: PoolByteArray):
	var image = decode_frame(payload, str(msg.get("encoding", "raw")), msg.get("shape", []))
	if image == null:
		_report("bad_message", "a frame that does not decode as %s" % msg.get("encoding"))
		return
	frame_index = int(msg.get("index", 0))
	last_image = image
	var tex = ImageTexture.new()
	tex.create_from_image(image, 0)  # no FLAG_FILTER: nearest, crisp pixels
	texture = tex
	var action = msg.get("action")
	emit_signal("frame_received", image, frame_index, -1 if action == null else int(action))


static func decode_frame(payload: PoolByteArray, enc: String, shape) -> Image:
	# raw RGB bytes, zlib (File.COMPRESSION_DEFLATE is the zlib format) or PNG -> Image (RGB8).
	if typeof(shape) != TYPE_ARRAY or shape.size() != 3 or int(shape[2]) != 3:
		return null
	var h = int(shape[0])
	var w = int(shape[1])
	var image = Image.new()
	if enc == "png":
		if image.load_png_from_buffer(payload) != OK:
			return null
		image.convert(Image.FORMAT_RGB8)
		return image
	var data = payload
	if enc == "zlib":
		data = payload.decompress(w * h * 3, File.COMPRESSION_DEFLATE)
	elif enc != "raw":
		return null
	if data.size() != w * h * 3:
		return null
	image.create_from_data(w, h, false, Image.FORMAT_RGB8, data)
	return image


func _encoding() -> String:
	if encoding != "auto":
		return encoding
	for host in ["://127.0.0.1", "://localhost", "://[::1]"]:
		if server_url.find(host) != -1:
			return "raw"
	return "zlib"


func _load_prompt() -> bool:
	if prompt_path != "":
		var f = File.new()
		if f.open(prompt_path, File.READ) != OK:
			_report("bad_prompt", "cannot open the prompt %s" % prompt_path)
			return false
		_prompt_bytes = f.get_buffer(f.get_len())
		f.close()
		if prompt_path.get_extension().to_lower() == "genie":
			_report("bad_prompt", "Godot 3 cannot read .genie projects: unzip its sketch.png and use that")
			return false
		return true
	if prompt_texture != null:
		var image = prompt_texture.get_data()
		if image == null:
			_report("bad_prompt", "the prompt texture has no image data")
			return false
		_prompt_bytes = image.save_png_to_buffer()
		return true
	_report("bad_prompt", "set prompt_texture or prompt_path")
	return false


func _report(code: String, message: String):
	push_warning("GenieWorld: %s (%s)" % [message, code])
	emit_signal("error_occurred", code, message)
