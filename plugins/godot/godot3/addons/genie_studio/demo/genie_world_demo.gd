extends Control
# The demo: the arrow keys play a Genie world from an example sketch. Start a server first:
#   genie-studio serve            (ws://127.0.0.1:8765, no token on loopback)
# then press F5 with this scene open. Select the GenieWorld node to change the server or prompt.

onready var world = $GenieWorld
onready var status = $Status


func _ready():
	world.connect("connected", self, "_on_connected")
	world.connect("frame_received", self, "_on_frame")
	world.connect("error_occurred", self, "_on_error")
	world.connect("disconnected", self, "_on_disconnected")
	status.text = "connecting to %s ..." % world.server_url


func _on_connected(welcome):
	status.text = "connected to %s" % welcome.get("server", "?")


func _on_frame(_image, index, _action):
	status.text = "frame %d   (%s)   arrows: move, up: jump" % [index, world.current_action()]


func _on_error(code, message):
	status.text = "error %s: %s" % [code, message]


func _on_disconnected(code, _reason):
	status.text = "disconnected (%d); reconnecting ..." % code
