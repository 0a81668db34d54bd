"""Page services: what a page asks for, prepared from the library and cached for a class.

- `playground`: the Hello page's training, shared across sessions for identical settings.
- `stepthrough`: the Step page's sources (presets or the Hello model), views and shared figures.
- `presets`: the shipped checkpoints and what their noted units track.
- `vanishing`: the Vanishing Gradients page's models, gradient views during training and demos.
- `longrange` and `sweep`: the adding and copy tasks trained per cell, and the length sweep.
- `lab`: the Sequence Tasks lab's tasks, each an object that knows its data, cells and figures.
- `cache`: the one bounded, thread-safe cache these share.
"""
