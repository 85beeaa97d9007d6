@tool
class_name GenieActionMap
extends Resource
## Which latent action a GenieWorld sends for the engine's input: InputMap action -> model label.
## A key may combine InputMap actions with "+" ("ui_up+ui_right"); combinations are tried before
## single actions, and the first entry whose actions are all pressed wins. A label may also be a
## direction word ("right") that the server resolves to the first label containing it, or an index.

@export var bindings: Dictionary = {
	"ui_up+ui_right": "jump",
	"ui_up+ui_left": "jump",
	"ui_right": "right",
	"ui_left": "left",
	"ui_up": "jump",
	"ui_accept": "jump",
}
@export var idle_action: String = "noop"


func action_for_input() -> String:
	for key in _ordered_keys():
		var all_pressed := true
		for part in str(key).split("+"):
			if not InputMap.has_action(part) or not Input.is_action_pressed(part):
				all_pressed = false
				break
		if all_pressed:
			return str(bindings[key])
	return idle_action


func _ordered_keys() -> Array:
	# Combinations first (more parts first), then the order of the dictionary.
	var ranked := []
	for key in bindings.keys():
		ranked.append([str(key).split("+").size(), ranked.size(), key])
	ranked.sort_custom(func(a, b): return a[0] > b[0] if a[0] != b[0] else a[1] < b[1])
	var out := []
	for entry in ranked:
		out.append(entry[2])
	return out
