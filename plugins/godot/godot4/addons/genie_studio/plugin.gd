@tool
extends EditorPlugin
## Registers the .genieanim importer while the addon is enabled
## (Project > Project Settings > Plugins).
## GenieWorld and GenieActionMap are global classes (class_name): add them like any built-in node.

var importer: EditorImportPlugin = null


func _enter_tree():
	importer = preload("import_plugin.gd").new()
	add_import_plugin(importer)


func _exit_tree():
	if importer != null:
		remove_import_plugin(importer)
		importer = null
