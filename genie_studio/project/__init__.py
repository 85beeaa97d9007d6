"""Projects: the ``.genie`` document (:mod:`.document`: sketch layers, model, bindings, knobs, autosave)
and the pixel operations of drawing on its sketch (:mod:`.fill`). No toolkit here: the editor's Qt
canvas and project actions call these."""
