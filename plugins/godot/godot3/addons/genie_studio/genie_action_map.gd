tool
extends Resource
class_name GenieActionMap
# Which latent action a GenieWorld sends for the engine's input: InputMap action -> model label.
# A key may combine InputMap actions with "+" ("ui_up+ui_right"); combinations are tried before
# single actions, and the first entry whose actions are all pressed wins. Labels may also be a
# direction word ("right") that the server resolves to the first label containing it, or an index.

export(Dictionary) var bindings = {
	"ui_up+ui_right": "jump",
	"ui_up+ui_left": "jump",
	"ui_right": "right",
	"ui_left": "left",
	"ui_up": "jump",
	"ui_accept": "jump",
}
export(String) var idle_action = "noop"


func action_for_input() -> String:
	for key in _ordered_keys():
		var all_pressed = true
		for part in str(key).split("+"):
			if not InputMap.has_action(part) or not Input.is_action_pressed(part):
				all_pressed = false
				break
		if all_pressed:
			return str(bindings[key])
	return idle_action


func _ordered_keys() -> Array:
	# Combinations first (more parts first), then the order of the dictionary.
	var keys = []
	for key in bindings.keys():
		keys.append([str(key).split("+").size(), keys.size(), key])
	keys.sort_custom(self, "_before")
	var out = []
	for k in keys:
		out.append(k[2])
	return out


func _before(a, b) -> bool:
	if a[0] != b[0]:
		return a[0] > b[0]
	return a[1] < b[1]
