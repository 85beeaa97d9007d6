@tool
extends EditorImportPlugin
## Imports a Genie Studio .genieanim file (Aseprite-format JSON, hash form, next to its sprite sheet
## PNG; made by `genie-studio export REC --format genieanim --out NAME.genieanim`) as a SpriteFrames
## resource: one animation per frameTag, each frame an AtlasTexture region of the one sheet,
## the speed and each frame's duration from the file. Written for Godot 4, which filters
## textures when they are drawn, not when they are imported: for crisp pixels set the node's
## Texture > Filter to Nearest, or Project Settings > Rendering > Textures > Canvas Textures >
## Default Texture Filter (a Sprite3D or AnimatedSprite3D has its own Texture Filter).

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
	var image = _load_sheet(source_file.get_base_dir().path_join(str(meta.get("image", ""))))
	if typeof(image) == TYPE_STRING:
		return _fail(source_file, image, ERR_FILE_NOT_FOUND)
	var sheet := ImageTexture.create_from_image(image)

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
		for i in range(first, last + 1):
			durations.append(float(frames[keys[i]].get("duration", 100)))
		var fps := _speed(meta, durations)
		sprite_frames.add_animation(anim)
		sprite_frames.set_animation_speed(anim, fps)
		for i in range(first, last + 1):
			var r: Dictionary = frames[keys[i]]["frame"]
			var region := Rect2(float(r["x"]), float(r["y"]), float(r["w"]), float(r["h"]))
			# Godot 4 frame durations are relative: 1.0 is one frame at the animation's speed.
			var relative := 1.0
			if not _uniform(meta, durations):
				relative = durations[i - first] * fps / 1000.0
			sprite_frames.add_frame(anim, _region(sheet, region), relative)
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


## One frame: a region of the shared sheet (every frame draws from the one texture).
func _region(sheet: Texture2D, region: Rect2) -> AtlasTexture:
	var atlas := AtlasTexture.new()
	atlas.atlas = sheet
	atlas.region = region
	atlas.filter_clip = true  # no bleeding from the neighbouring frames when filtered
	return atlas


## Whether meta.fps is the exact rate of these durations: Aseprite stores whole milliseconds, so
## 30 frames/s arrive as 33, 34, 33... ms, each within 1 ms of 1000 / fps.
func _uniform(meta: Dictionary, durations: Array) -> bool:
	var fps = meta.get("fps", 0.0)
	if typeof(fps) != TYPE_FLOAT and typeof(fps) != TYPE_INT or float(fps) <= 0.0:
		return false
	for d in durations:
		if absf(d - 1000.0 / float(fps)) > 1.0:
			return false
	return true


## Frames per second of an animation: meta.fps when the durations keep it, else from the durations.
func _speed(meta: Dictionary, durations: Array) -> float:
	if _uniform(meta, durations):
		return float(meta["fps"])
	var total_ms := 0.0
	for d in durations:
		total_ms += d
	return 1000.0 * durations.size() / max(total_ms, 1.0)


func _fail(source_file, message, code):
	push_error("Genie Studio import of %s: %s" % [source_file, message])
	return code
