tool
extends EditorImportPlugin
# Imports a Genie Studio .genieanim file (Aseprite-format JSON, hash form, next to its sprite sheet PNG;
# made by `genie-studio export REC --format genieanim --out NAME.genieanim`) as a SpriteFrames resource:
# one animation per frameTag, one AtlasTexture per frame, speed from the frame durations.
# Written for Godot 3 (tested with godot3-server 3.2). Frames are unfiltered (nearest) unless the "filter" option is on.

enum Loop { FROM_FILE, LOOP, ONCE }


func get_importer_name():
	return "genie_studio.spriteframes"


func get_visible_name():
	return "Genie Studio SpriteFrames"


func get_recognized_extensions():
	return ["genieanim"]


func get_save_extension():
	return "res"


func get_resource_type():
	return "SpriteFrames"


func get_preset_count():
	return 1


func get_preset_name(preset):
	return "Pixel art"


func get_import_options(preset):
	return [
		{"name": "animation_name", "default_value": ""},
		{"name": "filter", "default_value": false},
		{"name": "loop", "default_value": Loop.FROM_FILE, "property_hint": PROPERTY_HINT_ENUM,
			"hint_string": "From file,Loop,Once"},
	]


func get_option_visibility(option, options):
	return true


func _fail(source_file, message, code):
	push_error("Genie Studio import of %s: %s" % [source_file, message])
	return code


# Frames per second of an animation. Aseprite stores whole milliseconds, so 30 frames/s arrive as
# 33, 34, 33... ms; when meta.fps is given and every duration is within 1 ms of it, it is the exact rate.
func _speed(meta, durations):
	var total_ms = 0.0
	for d in durations:
		total_ms += d
	var fps = meta.get("fps", 0.0)
	fps = float(fps) if typeof(fps) == TYPE_REAL or typeof(fps) == TYPE_INT else 0.0
	if fps > 0.0:
		for d in durations:
			if abs(d - 1000.0 / fps) > 1.0:
				fps = 0.0
				break
	if fps > 0.0:
		return fps
	return 1000.0 * durations.size() / max(total_ms, 1.0)


func import(source_file, save_path, options, platform_variants, gen_files):
	var file = File.new()
	if file.open(source_file, File.READ) != OK:
		return _fail(source_file, "cannot open the file", ERR_FILE_CANT_OPEN)
	var parsed = JSON.parse(file.get_as_text())
	file.close()
	if parsed.error != OK:
		return _fail(source_file, "not valid JSON (line %d: %s)" % [parsed.error_line, parsed.error_string],
				ERR_PARSE_ERROR)
	var data = parsed.result
	if typeof(data) != TYPE_DICTIONARY or not data.has("frames") or not data.has("meta"):
		return _fail(source_file, "not an Aseprite-format sprite sheet (needs frames and meta)", ERR_INVALID_DATA)
	var meta = data["meta"]
	var frames = data["frames"]
	if typeof(frames) != TYPE_DICTIONARY or frames.size() == 0:
		return _fail(source_file, "frames must be a non-empty object (Aseprite hash form)", ERR_INVALID_DATA)

	var image_path = source_file.get_base_dir().plus_file(str(meta.get("image", "")))
	# Decode the PNG from its bytes: Image.load() on a res:// path only works in the editor.
	var png = File.new()
	if png.open(image_path, File.READ) != OK:
		return _fail(source_file, "cannot open the sprite sheet %s" % image_path, ERR_FILE_NOT_FOUND)
	var bytes = png.get_buffer(png.get_len())
	png.close()
	var image = Image.new()
	if image.load_png_from_buffer(bytes) != OK:
		return _fail(source_file, "%s is not a PNG image" % image_path, ERR_INVALID_DATA)
	var sheet = ImageTexture.new()
	sheet.create_from_image(image, Texture.FLAG_FILTER if options["filter"] else 0)

	var keys = frames.keys()
	var tags = meta.get("frameTags", [])
	if tags.size() == 0:
		tags = [{"name": "default", "from": 0, "to": keys.size() - 1}]

	var sprite_frames = SpriteFrames.new()
	sprite_frames.remove_animation("default")
	for tag in tags:
		var name = str(tag["name"])
		if options["animation_name"] != "" and tags.size() == 1:
			name = options["animation_name"]
		var first = int(tag["from"])
		var last = int(tag["to"])
		if first < 0 or last >= keys.size() or first > last:
			return _fail(source_file, "frameTag %s has a bad range %d..%d" % [name, first, last], ERR_INVALID_DATA)
		sprite_frames.add_animation(name)
		var durations = []
		for i in range(first, last + 1):
			var entry = frames[keys[i]]
			var r = entry["frame"]
			var atlas = AtlasTexture.new()
			atlas.atlas = sheet
			atlas.region = Rect2(r["x"], r["y"], r["w"], r["h"])
			atlas.flags = sheet.flags
			sprite_frames.add_frame(name, atlas)
			durations.append(float(entry.get("duration", 100)))
		sprite_frames.set_animation_speed(name, _speed(meta, durations))
		var loop = bool(meta.get("loop", not tag.has("repeat")))
		if options["loop"] == Loop.LOOP:
			loop = true
		elif options["loop"] == Loop.ONCE:
			loop = false
		sprite_frames.set_animation_loop(name, loop)

	return ResourceSaver.save("%s.%s" % [save_path, get_save_extension()], sprite_frames)
