"""Every QtWidgets/QtGui/pyqtgraph class: windows, panels, dialogs, item models, plots."""
