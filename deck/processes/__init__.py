"""Every process deck starts, and how it watches them (see docs/architecture.md, "Processes").

- `supervisor.py`: the build runs in a forked child of a light parent (`build.py` -> `supervised`),
  and each deck of a parallel build in a forked child of its own (`run_in_processes`); the parent
  hears breadcrumbs (the cell running, its time limit, the outputs being published) and names the
  cell a dead child was running. The pytest plugin checks each deck through the same pool.
- `child.py`: the helpers started as fresh interpreters (`Child`), and their message channel: the
  --watch worker (`deck/watch/worker.py`, keeps imports warm between builds), the PDF helper
  (`deck/render/slide_pdfs.py`, lays slides out while cells still run) and the pytest plugin's check.
- `exits.py`: how a process ended, said one way everywhere.
"""
