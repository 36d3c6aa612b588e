"""The progress callback type that long work takes (pages connect it to ``st.progress``)."""

from collections.abc import Callable

#: ``progress(done, total)``: how long work reports how far it is (total 0 when unknown).
Progress = Callable[[int, int], None]
