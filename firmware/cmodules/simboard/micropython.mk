# simboard: the simulated board's console, REPL and reset (see simboard.c).
SIMBOARD_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(SIMBOARD_DIR)/simboard.c
