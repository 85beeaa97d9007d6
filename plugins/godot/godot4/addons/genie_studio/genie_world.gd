class_name GenieWorld
extends TextureRect
## A live Genie world inside Godot 4: connects to `genie-studio serve` over its websocket protocol
## (docs/protocol.md), opens a session from a prompt image, steps it at `step_rate` with the latent
## action that the pressed InputMap actions map to (`action_map`), and shows the frames as a texture
## with nearest filtering. After a dropped connection it reconnects and resumes the session (or
## replays it, if the server restarted), as the Python client RemoteSession does.

signal connected(welcome: Dictionary)
signal session_opened(info: Dictionary)
signal frame_received(image: Image, index: int, action: int)
signal error_occurred(code: String, message: String)
signal disconnected(code: int, reason: String)

const PROTOCOL_VERSION := 1
const CLIENT_NAME := "genie-studio-godot4 0.1.0"
const ActionMap := preload("genie_action_map.gd")
const BUFFER_BYTES := 8 * 1024 * 1024  # a prompt (max_prompt: 4 MiB) or a raw frame up to ~1600^2

@export var server_url: String = "ws://127.0.0.1:8765"
@export var token: String = ""
## The prompt: a texture, a PNG/JPEG file, or a .genie project (its sketch layer).
@export var prompt_texture: Texture2D = null
@export_file("*.png", "*.jpg", "*.genie") var prompt_path: String = ""
@export var model: String = ""  ## empty: the server's default model
@export var seed_value: int = 0
@export_range(1, 32) var maskgit_steps: int = 2
@export_range(0.0, 100.0) var temperature: float = 1.0
@export_range(0.1, 120.0) var step_rate: float = 15.0  ## steps per second while playing
@export var playing: bool = true  ## step with the input's action at step_rate
@export var autostart: bool = true  ## connect in _ready
@export var action_map: GenieActionMap = null  ## null: the arrow keys (default_action_map.tres)
@export_enum("auto", "raw", "zlib", "png") var encoding: String = "auto"  ## auto: raw on loopback
@export var auto_reconnect: bool = true
@export var reconnect_timeout: float = 30.0

var labels: Array = []
var resolution: Array = []
var frame_index: int = -1
var last_image: Image = null
var session_id: String = ""
var reconnects: int = 0
var replays: int = 0

var _ws: WebSocketPeer = null
var _state := "idle"  # idle, connecting, hello, ready, closed
var _prompt_bytes := PackedByteArray()
var _resume := ""
var _version := 0
var _log := []  # [action index, steps, temperature] per step since the prompt
var _next_id := 1
var _pending := {}  # request id -> [kind, action]
var _waiting_step = null  # the step in flight: [action label or index]
var _since_step := 0.0
var _retry_in := -1.0
var _reconnect_delay := 0.05
var _gave_up_at := 0.0
var _fatal := false


func _ready():
	texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	expand_mode = TextureRect.EXPAND_IGNORE_SIZE
	stretch_mode = TextureRect.STRETCH_KEEP_ASPECT_CENTERED
	if action_map == null:
		action_map = ActionMap.new()
	if autostart and not Engine.is_editor_hint():
		start()


## Connect and open a session from the prompt. Returns false (and emits error_occurred) if the
## prompt cannot be read.
func start() -> bool:
	if not _load_prompt():
		return false
	_fatal = false
	_gave_up_at = _now() + reconnect_timeout
	return _connect()


## Close the session and the connection; no reconnect.
func stop():
	_fatal = true
	_retry_in = -1.0
	if _state == "ready" and session_id != "":
		_send_text({"type": "close", "session": session_id})
	var was := _state
	_state = "closed"
	if _ws != null and was != "closed":
		_ws.close(1000, "bye")


## Step once with an action (label or index). False while a step is in flight or not connected.
func step(action) -> bool:
	if _state != "ready" or session_id == "" or _waiting_step != null:
		return false
	_waiting_step = [action]
	_send_text({"type": "step", "session": session_id, "action": action}, "step")
	return true


func current_action() -> String:
	return action_map.action_for_input()


func _process(delta):
	if _ws != null:
		_poll()
	if _retry_in >= 0.0:
		_retry_in -= delta
		if _retry_in < 0.0:
			_retry_in = -1.0
			_connect()
		return
	if playing and _state == "ready" and session_id != "" and _waiting_step == null:
		_since_step += delta
		if _since_step >= 1.0 / maxf(step_rate, 0.1):
			_since_step = 0.0
			step(current_action())


func _exit_tree():
	stop()


# ---- connection -------------------------------------------------------------------------------
func _connect() -> bool:
	_ws = WebSocketPeer.new()
	_ws.inbound_buffer_size = BUFFER_BYTES
	_ws.outbound_buffer_size = BUFFER_BYTES
	_state = "connecting"
	_pending.clear()
	if _ws.connect_to_url(server_url) != OK:
		_on_closed(-1, "cannot connect")
		return false
	return true


func _poll():
	_ws.poll()
	var ready_state := _ws.get_ready_state()
	if ready_state == WebSocketPeer.STATE_OPEN and _state == "connecting":
		_on_open()
	while _state != "closed" and _ws.get_available_packet_count() > 0:
		var packet := _ws.get_packet()
		if _ws.was_string_packet():
			_handle(_parse_json(packet.get_string_from_utf8()), PackedByteArray())
		else:
			_handle_binary(packet)
	if ready_state == WebSocketPeer.STATE_CLOSED and _state != "closed":
		_on_closed(_ws.get_close_code(), _ws.get_close_reason())


func _on_open():
	_state = "hello"
	var hello := {"type": "hello", "version": PROTOCOL_VERSION, "client": CLIENT_NAME}
	hello["token"] = token if token != "" else null
	_send_text(hello)


func _on_closed(code: int, reason: String):
	var was := _state
	_state = "closed"
	_pending.clear()
	if was != "connecting":
		disconnected.emit(code, reason)
	if _fatal or not auto_reconnect:
		return
	if _now() + _reconnect_delay > _gave_up_at:
		_fatal = true
		error_occurred.emit(
			"unreachable",
			(
				"the world server at %s is unreachable; gave up after %s s"
				% [server_url, reconnect_timeout]
			)
		)
		return
	_retry_in = _reconnect_delay
	_reconnect_delay = minf(_reconnect_delay * 2.0, 1.0)


# ---- messages ---------------------------------------------------------------------------------
func _send_text(msg: Dictionary, kind := ""):
	msg["id"] = _next_id
	_pending[_next_id] = kind if kind != "" else str(msg["type"])
	_next_id += 1
	_ws.send_text(JSON.stringify(msg))


## A binary message: u32 big-endian header length | JSON header (UTF-8) | payload.
func _send_binary(msg: Dictionary, payload: PackedByteArray, kind: String):
	msg["id"] = _next_id
	_pending[_next_id] = kind
	_next_id += 1
	var header := JSON.stringify(msg).to_utf8_buffer()
	var n := header.size()
	var data := PackedByteArray([(n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255])
	data.append_array(header)
	data.append_array(payload)
	_ws.send(data, WebSocketPeer.WRITE_MODE_BINARY)


func _handle_binary(packet: PackedByteArray):
	if packet.size() < 4:
		_report("bad_message", "binary message shorter than its header length")
		return
	var n := (packet[0] << 24) | (packet[1] << 16) | (packet[2] << 8) | packet[3]
	if 4 + n > packet.size():
		_report("bad_message", "binary message shorter than its header")
		return
	var header := packet.slice(4, 4 + n).get_string_from_utf8()
	_handle(_parse_json(header), packet.slice(4 + n))


func _parse_json(text: String) -> Dictionary:
	var parsed = JSON.parse_string(text)
	if typeof(parsed) != TYPE_DICTIONARY:
		return {
			"type": "error", "code": "bad_message", "message": "the server sent something not JSON"
		}
	return parsed


func _handle(msg: Dictionary, payload: PackedByteArray):
	var kind := ""
	if msg.get("id") != null and _pending.has(int(msg["id"])):
		kind = _pending[int(msg["id"])]
		_pending.erase(int(msg["id"]))
	match str(msg.get("type", "")):
		"welcome":
			_state = "ready"
			_reconnect_delay = 0.05
			_gave_up_at = _now() + reconnect_timeout
			connected.emit(msg)
			if _resume != "":
				reconnects += 1
				_send_text({"type": "resume", "resume": _resume})
			else:
				_open([])
		"opened":
			_on_opened(msg, payload, kind)
		"frame":
			_waiting_step = null
			_version = int(msg["version"])
			_log.append([int(msg["action"]), maskgit_steps, temperature])
			_show(msg, payload)
		"error":
			_on_error(msg, kind)
		_:
			pass  # pong, closed, set, models, shutdown (its close triggers the reconnect)


func _open(replay: Array):
	var msg := {
		"type": "open",
		"seed": seed_value,
		"steps": maskgit_steps,
		"temperature": temperature,
		"encoding": _encoding(),
		"replay": replay,
	}
	if model != "":
		msg["model"] = model
	_send_binary(msg, _prompt_bytes, "open")


func _on_opened(msg: Dictionary, payload: PackedByteArray, kind: String):
	var version := int(msg["version"])
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
		session_opened.emit(msg)
	_show(msg, payload)
	if _waiting_step != null:  # not done before the drop: send it again
		var action = _waiting_step[0]
		_waiting_step = null
		step(action)


func _on_error(msg: Dictionary, kind: String):
	var code := str(msg.get("code", "internal"))
	if code == "rate_limited" and kind == "step":
		_waiting_step = null  # the next _process tick tries again
		return
	if code == "unknown_session" and kind in ["resume", "step"]:
		# The server no longer knows the session (it restarted): open it again and replay the log.
		replays += 1
		session_id = ""
		_resume = ""
		_open(_log)
		return
	if kind == "step":
		_waiting_step = null
	if bool(msg.get("fatal", false)):
		_fatal = true
	error_occurred.emit(code, str(msg.get("message", "")))


# ---- frames -----------------------------------------------------------------------------------
func _show(msg: Dictionary, payload: PackedByteArray):
	var image := decode_frame(payload, str(msg.get("encoding", "raw")), msg.get("shape", []))
	if image == null:
		_report("bad_message", "a frame that does not decode as %s" % msg.get("encoding"))
		return
	frame_index = int(msg.get("index", 0))
	last_image = image
	var tex := texture as ImageTexture
	if tex != null and tex.get_size() == Vector2(image.get_size()):
		tex.update(image)
	else:
		texture = ImageTexture.create_from_image(image)  # drawn with this node's nearest filter
	var action = msg.get("action")
	frame_received.emit(image, frame_index, -1 if action == null else int(action))


## raw RGB bytes, zlib (FileAccess.COMPRESSION_DEFLATE is the zlib format) or PNG -> Image (RGB8).
static func decode_frame(payload: PackedByteArray, enc: String, shape) -> Image:
	if typeof(shape) != TYPE_ARRAY or shape.size() != 3 or int(shape[2]) != 3:
		return null
	var h := int(shape[0])
	var w := int(shape[1])
	if enc == "png":
		var png := Image.new()
		if png.load_png_from_buffer(payload) != OK:
			return null
		png.convert(Image.FORMAT_RGB8)
		return png
	var data := payload
	if enc == "zlib":
		data = payload.decompress(w * h * 3, FileAccess.COMPRESSION_DEFLATE)
	elif enc != "raw":
		return null
	if data.size() != w * h * 3:
		return null
	return Image.create_from_data(w, h, false, Image.FORMAT_RGB8, data)


func _encoding() -> String:
	if encoding != "auto":
		return encoding
	for host in ["://127.0.0.1", "://localhost", "://[::1]"]:
		if server_url.contains(host):
			return "raw"
	return "zlib"


func _load_prompt() -> bool:
	if prompt_path.get_extension().to_lower() == "genie":
		var zip := ZIPReader.new()
		if zip.open(prompt_path) != OK:
			_report("bad_prompt", "cannot open the project %s" % prompt_path)
			return false
		_prompt_bytes = zip.read_file("sketch.png")
		zip.close()
	elif prompt_path != "":
		_prompt_bytes = FileAccess.get_file_as_bytes(prompt_path)
	elif prompt_texture != null and prompt_texture.get_image() != null:
		_prompt_bytes = prompt_texture.get_image().save_png_to_buffer()
	else:
		_report("bad_prompt", "set prompt_texture or prompt_path")
		return false
	if _prompt_bytes.is_empty():
		_report("bad_prompt", "cannot read the prompt %s" % prompt_path)
		return false
	return true


func _report(code: String, message: String):
	push_warning("GenieWorld: %s (%s)" % [message, code])
	error_occurred.emit(code, message)


func _now() -> float:
	return Time.get_ticks_msec() / 1000.0
