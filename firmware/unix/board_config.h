// The simulated board's MicroPython configuration: the unix port's own, with
// what a board has less of.  Included instead of mpconfigport.h through
// MP_CONFIGFILE (py/mpconfig.h), so nothing is written into the source tree.
#include <mpconfigport.h>

// The unix port sizes path buffers for PATH_MAX (4096 bytes), and the import
// machinery keeps one on the C stack for each nested import
// (py/builtinimport.c: VSTR_FIXED(path, MICROPY_ALLOC_PATH_MAX)).  Boards
// keep MicroPython's default of 512 (py/mpconfig.h), and so does the
// simulated board: an import chain then costs the C stack it costs on a
// board, and a chain too deep for a board fails here too, not only there.
#undef MICROPY_ALLOC_PATH_MAX
#define MICROPY_ALLOC_PATH_MAX (512)
