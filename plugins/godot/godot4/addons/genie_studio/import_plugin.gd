@tool
extends EditorImportPlugin
## Imports a Genie Studio .genieanim file (Aseprite-format JSON, hash form, next to its sprite sheet
## PNG; made by `genie-studio export REC --format genieanim --out NAME.genieanim`) as a SpriteFrames
## resource: one animation per frameTag, one texture per frame, speed from the frame durations.
## Written for Godot 4. Godot 4 filters textures by default; unless the "filter" option is on, each
## frame is a CanvasTexture with a nearest filter, so pixel art stays crisp on any node.

enum Loop { FROM_FILE, LOOP, ONCE }


func _get_importer_name():
	return "genie_studio.spriteframes"


func _get_visible_name():
	return "Genie Studio SpriteFrames"


func _get_recognized_extensions():
	return PackedStringArray(["genieanim"])


func _get_save_extension():
	return "res"


func _get_resource_type():
	return "SpriteFrames"


func _get_priority():
	return 1.0


func _get_import_order():
	return 0


func _get_preset_count():
	return 1


func _get_preset_name(_preset_index):
	return "Pixel art"


func _get_import_options(_path, _preset_index):
	return [
		{"name": "animation_name", "default_value": ""},
		{"name": "filter", "default_value": false},
		{
			"name": "loop",
			"default_value": Loop.FROM_FILE,
			"property_hint": PROPERTY_HINT_ENUM,
			"hint_string": "From file,Loop,Once",
		},
	]


func _get_option_visibility(_path, _option_name, _options):
	return true


func _import(source_file, save_path, options, _platform_variants, _gen_files):
	var built = _build(source_file, options)
	if typeof(built) == TYPE_INT:
		return built
	return ResourceSaver.save(built, "%s.%s" % [save_path, _get_save_extension()])


## The SpriteFrames for a .genieanim file, or an error code (reported with push_error).
func _build(source_file: String, options: Dictionary):
	var data = JSON.parse_string(FileAccess.get_file_as_string(source_file))
	if typeof(data) != TYPE_DICTIONARY or not data.has("frames") or not data.has("meta"):
		return _fail(
			source_file,
			"cannot be read as an Aseprite-format sprite sheet (JSON with frames and meta)",
			ERR_INVALID_DATA
		)
	var meta: Dictionary = data["meta"]
	var frames = data["frames"]
	if typeof(frames) != TYPE_DICTIONARY or frames.size() == 0:
		return _fail(
			source_file, "frames must be a non-empty object (Aseprite hash form)", ERR_INVALID_DATA
		)
	var sheet = _load_sheet(source_file.get_base_dir().path_join(str(meta.get("image", ""))))
	if typeof(sheet) == TYPE_STRING:
		return _fail(source_file, sheet, ERR_FILE_NOT_FOUND)

	var keys: Array = frames.keys()
	var tags: Array = meta.get("frameTags", [])
	if tags.is_empty():
		tags = [{"name": "default", "from": 0, "to": keys.size() - 1}]
	var sprite_frames := SpriteFrames.new()
	sprite_frames.remove_animation("default")
	for tag in tags:
		var anim := StringName(str(tag["name"]))
		if options["animation_name"] != "" and tags.size() == 1:
			anim = StringName(options["animation_name"])
		var first := int(tag["from"])
		var last := int(tag["to"])
		if first < 0 or last >= keys.size() or first > last:
			return _fail(
				source_file,
				"frameTag %s has a bad range %d..%d" % [anim, first, last],
				ERR_INVALID_DATA
			)
		var durations := []
		var total_ms := 0.0
		for i in range(first, last + 1):
			durations.append(float(frames[keys[i]].get("duration", 100)))
			total_ms += durations[-1]
		var fps := 1000.0 * durations.size() / max(total_ms, 1.0)
		sprite_frames.add_animation(anim)
		sprite_frames.set_animation_speed(anim, fps)
		for i in range(first, last + 1):
			var r: Dictionary = frames[keys[i]]["frame"]
			var region := Rect2i(int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"]))
			# Godot 4 frame durations are relative: 1.0 is one frame at the animation's speed.
			var relative: float = durations[i - first] * fps / 1000.0
			sprite_frames.add_frame(
				anim, _frame_texture(sheet.get_region(region), options["filter"]), relative
			)
		var loop := bool(meta.get("loop", not tag.has("repeat")))
		if options["loop"] == Loop.LOOP:
			loop = true
		elif options["loop"] == Loop.ONCE:
			loop = false
		sprite_frames.set_animation_loop(anim, loop)
	return sprite_frames


## The sprite sheet as an Image, or a message saying why not. Decoded from the PNG's bytes: the
## project's own import of that PNG may not be ready during this import.
func _load_sheet(image_path: String):
	var bytes := FileAccess.get_file_as_bytes(image_path)
	if bytes.is_empty():
		return "cannot open the sprite sheet %s" % image_path
	var sheet := Image.new()
	if sheet.load_png_from_buffer(bytes) != OK:
		return "%s is not a PNG image" % image_path
	return sheet


func _frame_texture(image: Image, filtered: bool) -> Texture2D:
	var texture := ImageTexture.create_from_image(image)
	if filtered:
		return texture
	var crisp := CanvasTexture.new()  # overrides the node's (and the project's) texture filter
	crisp.diffuse_texture = texture
	crisp.texture_filter = CanvasItem.TEXTURE_FILTER_NEAREST
	return crisp


func _fail(source_file, message, code):
	push_error("Genie Studio import of %s: %s" % [source_file, message])
	return code
