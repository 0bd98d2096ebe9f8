// simflash: the simulated board's flash, for remora's unix firmware.
//
// A board's firmware maps its ROMFS partition into the address space and
// mounts it with vfs.VfsRom; imports then run the .mpy bytecode where it
// lies, and only the objects the code creates take heap.  The unix port has
// no flash, so this module plays that part: simflash.map(PATH) maps a ROMFS
// image file read-only (mmap, outside MicroPython's heap) and returns a
// read-only memoryview over it, which vfs.VfsRom accepts as its memory.
//
// What it relies on in MicroPython v1.28.0:
// - extmod/vfs_rom.c, vfs_rom_make_new: the memory object only has to give
//   a buffer (mp_get_buffer_raise(..., MP_BUFFER_READ)), and the VfsRom
//   keeps a reference to it, so the view lives as long as the mount.
// - extmod/vfs_reader.c, mp_reader_new_file: a file whose object gives a
//   buffer (a VfsRom file does, vfs_rom_file.c) is read with
//   MP_READER_IS_ROM, and py/persistentcode.c then keeps the bytecode and
//   constant data in place (mp_reader_try_read_rom) instead of copying
//   them into the heap.  So the mapping must outlive every module imported
//   from it: it is never unmapped (a partition never goes away either).
// - py/objarray.c: mp_obj_new_memoryview makes a view over memory it does
//   not own; without MP_OBJ_ARRAY_TYPECODE_FLAG_RW in the typecode the view
//   is read-only, so a write raises instead of faulting on the read-only
//   pages.  The collector ignores pointers outside its heap, so the mapped
//   pages are neither scanned nor freed.

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "py/obj.h"
#include "py/runtime.h"
#include "py/mperrno.h"

// simflash.map(path) -> memoryview of the whole file, mapped read-only.
static mp_obj_t simflash_map(mp_obj_t path_in) {
    const char *path = mp_obj_str_get_str(path_in);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        mp_raise_OSError(errno);
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        mp_raise_OSError(err);
    }
    if (st.st_size <= 0) {
        // mmap refuses an empty mapping; an empty partition is no ROMFS.
        close(fd);
        mp_raise_OSError(MP_ENODEV);
    }
    size_t len = (size_t)st.st_size;
    void *at = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    int err = errno;
    // The mapping holds its own reference to the file: the descriptor can go.
    close(fd);
    if (at == MAP_FAILED) {
        mp_raise_OSError(err);
    }
    return mp_obj_new_memoryview('B', len, at);
}
static MP_DEFINE_CONST_FUN_OBJ_1(simflash_map_obj, simflash_map);

static const mp_rom_map_elem_t simflash_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_simflash) },
    { MP_ROM_QSTR(MP_QSTR_map), MP_ROM_PTR(&simflash_map_obj) },
};
static MP_DEFINE_CONST_DICT(simflash_globals, simflash_globals_table);

const mp_obj_module_t simflash_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&simflash_globals,
};

MP_REGISTER_MODULE(MP_QSTR_simflash, simflash_module);
