# simflash: maps the simulated board's ROMFS image (see simflash.c).
SIMFLASH_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(SIMFLASH_DIR)/simflash.c
