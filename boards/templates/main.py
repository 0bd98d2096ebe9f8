# main.py: start the application (remora's template; `remora deploy` writes it).
#
# Runs after boot.py on a hard reset and on a soft reset from the friendly REPL (Ctrl-D).
# remora.start reads /remora.json (written by `remora deploy`), brings the network up
# (Wi-Fi with retries, else a setup page on an access point; always up on the simulated
# board) and runs the application.  Ctrl-C at the console stops it and gives the REPL back.
import remora.port  # the leaf modules first: each import chain stays short (a small C stack)
import remora.start

remora.start.main()
