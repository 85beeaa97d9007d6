extends Control
## The demo: the arrow keys play a Genie world from an example sketch. Start a server first:
##   genie-studio serve            (ws://127.0.0.1:8765, no token on loopback)
## then press F5 with this scene open. Select the GenieWorld node to change the server or prompt.

@onready var world = $GenieWorld
@onready var status: Label = $Status


func _ready():
	world.connected.connect(_on_connected)
	world.frame_received.connect(_on_frame)
	world.error_occurred.connect(_on_error)
	world.disconnected.connect(_on_disconnected)
	status.text = "connecting to %s ..." % world.server_url


func _on_connected(welcome: Dictionary):
	status.text = "connected to %s" % welcome.get("server", "?")


func _on_frame(_image: Image, index: int, _action: int):
	status.text = "frame %d   (%s)   arrows: move, up: jump" % [index, world.current_action()]


func _on_error(code: String, message: String):
	status.text = "error %s: %s" % [code, message]


func _on_disconnected(code: int, _reason: String):
	status.text = "disconnected (%d); reconnecting ..." % code
