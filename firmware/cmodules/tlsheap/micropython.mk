# tlsheap: no module, a build setting.  Mbed TLS allocates on the MicroPython
# heap (m_tracked_calloc), as MicroPython's bare-metal ports do (the rp2 port
# of the Pico W), instead of on the unix port's libc heap, so the simulated
# board's heap pays for every TLS connection: about 23 KB each (16 KiB + 4 KiB
# record buffers, MBEDTLS_SSL_IN/OUT_CONTENT_LEN, and the session), which
# gc.mem_free() and the board's heap_bytes then see.  Entropy comes from
# mp_hal_get_random (the unix port's /dev/urandom), as on those ports.
# See lib/remora/port/tls_micropython.py and bench/README.md (TLS memory).
CFLAGS_USERMOD += -DMICROPY_MBEDTLS_CONFIG_BARE_METAL=1 -DMICROPY_TRACKED_ALLOC=1

# make tracks no flags: objects an older build folder compiled without these
# would be linked as they are.  A stamp marks a folder built with them; one
# without it loses its objects once, so that everything is compiled again.
TLSHEAP_STAMP := $(BUILD)/tlsheap-1.stamp
ifeq ($(wildcard $(TLSHEAP_STAMP)),)
$(shell find $(BUILD) -name '*.o' -delete 2>/dev/null; mkdir -p $(BUILD) && touch $(TLSHEAP_STAMP))
endif
