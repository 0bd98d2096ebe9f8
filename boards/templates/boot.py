# boot.py: runs first after every reset (remora's template; `remora deploy` writes it).
#
# Keep it short and quick: it runs on every soft reset, the raw REPL's too (mpremote and
# `remora deploy` wait for it), where main.py does not.  The network and the application
# start in main.py.
import gc

gc.collect()
