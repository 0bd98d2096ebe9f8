// simboard: the serial console of remora's simulated board (`remora sim`).
//
// A board's console is a UART (or USB CDC) with a receive interrupt.  The
// interrupt handler puts each byte into a ring buffer that the REPL reads,
// except the interrupt character (Ctrl-C) while code runs: that one is
// swallowed and becomes a KeyboardInterrupt (mp_sched_keyboard_interrupt).
// The REPL itself is MicroPython's shared/runtime/pyexec.c, the same code a
// board runs, so mpremote meets the raw REPL, raw-paste and soft reset it
// expects.
//
// The unix port has no such interrupt: its Ctrl-C is the terminal's SIGINT,
// and its REPL switches the terminal between raw and cooked modes with
// TCSAFLUSH (ports/unix/unix_mphal.c), which throws away input that arrived
// meanwhile: mpremote's Ctrl-A, sent right after its Ctrl-C, would be lost.
// So the simulated board's stdin is a pipe from the simulator (no terminal,
// no mode switch, nothing flushed), and this module plays the receive
// interrupt: simboard.console() starts a thread that reads the console's
// input and forwards it to a second pipe that becomes stdin, and while code
// runs it turns Ctrl-C into a KeyboardInterrupt instead of a byte.
//
// As on a board, a Ctrl-C that arrives while a command is still being received or
// compiled (before it runs) is a byte for the REPL, not an interrupt.
//
// "While code runs" is what pyexec.c says with mp_hal_set_interrupt_char():
// on the unix port that installs a SIGINT handler (CHAR_CTRL_C) or restores
// SIG_DFL (-1), so the SIGINT disposition is the flag, read atomically.  The
// main thread may be blocked in poll() or read(): a signal with an empty
// handler (SIGUSR2, no SA_RESTART) makes the call return EINTR, and the
// port's retry loops (MP_HAL_RETRY_SYSCALL, modselect.c) then handle the
// pending exception.  The wake-up is repeated until the exception is taken,
// since it may land just before the thread blocks.
//
// simboard.run(path) and simboard.repl(raw) run boot.py/main.py and the REPL
// in __main__'s globals, as a board's main.c does; simboard.reset() is the
// hard reset behind machine.reset() on the simulated board.

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/obj.h"
#include "py/runtime.h"
#include "shared/runtime/pyexec.h"

// Exit status of a hard reset: the simulator restarts the board as after power-on.
#define SIMBOARD_HARD_RESET (66)
#define SIMBOARD_WAKE_SIGNAL (SIGUSR2)

static int console_in = -1;  // the console's real input (the simulator's pipe)
static int stdin_feed = -1;  // write end of the pipe that is now fd 0
static pthread_t main_thread;
static bool started;

static void wake_handler(int signo) {
    (void)signo;  // only there to interrupt a blocking system call (EINTR)
}

static bool interrupt_enabled(void) {
    struct sigaction sa;
    if (sigaction(SIGINT, NULL, &sa) != 0) {
        return false;
    }
    return sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN;
}

static void feed(const unsigned char *buf, ssize_t len) {
    while (len > 0) {
        ssize_t n = write(stdin_feed, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        buf += n;
        len -= n;
    }
}

static void interrupt_main(void) {
    mp_sched_keyboard_interrupt();
    mp_obj_t kbd = MP_OBJ_FROM_PTR(&MP_STATE_VM(mp_kbd_exception));
    // Wake the main thread until it has taken the exception (or stopped running code);
    // at most about a second, then the VM's own checks will find it.
    for (int i = 0; i < 100; i++) {
        if (MP_STATE_MAIN_THREAD(mp_pending_exception) != kbd || !interrupt_enabled()) {
            break;
        }
        pthread_kill(main_thread, SIMBOARD_WAKE_SIGNAL);
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void *receive(void *arg) {
    (void)arg;
    unsigned char buf[256];
    for (;;) {
        ssize_t n = read(console_in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        ssize_t from = 0;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == CHAR_CTRL_C && interrupt_enabled()) {
                feed(buf + from, i - from);
                from = i + 1;
                interrupt_main();
            }
        }
        feed(buf + from, n - from);
    }
    // The console is gone: the simulator stopped, and the board goes with it.
    _exit(0);
    return NULL;
}

// simboard.console(): start the receive thread (once); fd 0 becomes its pipe.
static mp_obj_t simboard_console(void) {
    if (started) {
        return mp_const_none;
    }
    int fds[2];
    if (pipe(fds) != 0) {
        mp_raise_OSError(errno);
    }
    console_in = dup(STDIN_FILENO);
    if (console_in < 0 || dup2(fds[0], STDIN_FILENO) < 0) {
        mp_raise_OSError(errno);
    }
    close(fds[0]);
    stdin_feed = fds[1];
    main_thread = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = wake_handler;  // no SA_RESTART: blocking calls return EINTR
    sigemptyset(&sa.sa_mask);
    sigaction(SIMBOARD_WAKE_SIGNAL, &sa, NULL);
    // main.c enabled Ctrl-C for the whole of `-m simboot`; on a board it is enabled only
    // while code runs (pyexec.c switches it), so the REPL reads Ctrl-C as a byte.  Before
    // the thread starts, so that no early Ctrl-C lands in simboot itself.
    mp_hal_set_interrupt_char(-1);
    // The receive thread allocates nothing from MicroPython's heap, so it is not one of
    // MicroPython's threads (the collector does not scan it).
    pthread_t thread;
    if (pthread_create(&thread, NULL, receive, NULL) != 0) {
        mp_raise_OSError(MP_EAGAIN);
    }
    pthread_detach(thread);
    started = true;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(simboard_console_obj, simboard_console);

// Run fn with __main__'s globals and locals, as a board runs boot.py, main.py and its REPL.
typedef int (*main_fn_t)(const void *arg);

static int in_main(main_fn_t fn, const void *arg) {
    // A Ctrl-C taken as an interrupt just as the code it was meant for ended (the receive
    // thread saw it enabled, then pyexec.c disabled it) is dropped, not raised later.
    if (MP_STATE_MAIN_THREAD(mp_pending_exception) == MP_OBJ_FROM_PTR(&MP_STATE_VM(mp_kbd_exception))) {
        MP_STATE_MAIN_THREAD(mp_pending_exception) = MP_OBJ_NULL;
    }
    mp_obj_dict_t *globals = mp_globals_get();
    mp_obj_dict_t *locals = mp_locals_get();
    mp_globals_set(&MP_STATE_VM(dict_main));
    mp_locals_set(&MP_STATE_VM(dict_main));
    int ret = fn(arg);
    mp_globals_set(globals);
    mp_locals_set(locals);
    return ret;
}

static int run_file(const void *path) {
    return pyexec_file_if_exists((const char *)path);
}

// simboard.run(path) -> pyexec's result: NORMAL_EXIT when the file ran to its end (or does
// not exist), FORCED_EXIT set for SystemExit (a soft reset), anything else for an exception.
static mp_obj_t simboard_run(mp_obj_t path_in) {
    const char *path = mp_obj_str_get_str(path_in);
    return MP_OBJ_NEW_SMALL_INT(in_main(run_file, path));
}
static MP_DEFINE_CONST_FUN_OBJ_1(simboard_run_obj, simboard_run);

static int repl(const void *arg) {
    (void)arg;
    // ports/unix/main.c's do_repl: the raw or friendly REPL until a soft reset.
    for (;;) {
        int ret = pyexec_mode_kind == PYEXEC_MODE_RAW_REPL ? pyexec_raw_repl() : pyexec_friendly_repl();
        if (ret != 0) {
            return ret;
        }
    }
}

// simboard.repl(raw) -> True when the REPL was in raw mode at the soft reset (Ctrl-D or
// SystemExit), as a board keeps pyexec_mode_kind across a soft reset.
static mp_obj_t simboard_repl(mp_obj_t raw_in) {
    pyexec_mode_kind = mp_obj_is_true(raw_in) ? PYEXEC_MODE_RAW_REPL : PYEXEC_MODE_FRIENDLY_REPL;
    in_main(repl, NULL);
    return mp_obj_new_bool(pyexec_mode_kind == PYEXEC_MODE_RAW_REPL);
}
static MP_DEFINE_CONST_FUN_OBJ_1(simboard_repl_obj, simboard_repl);

// simboard.reset(): the hard reset (machine.reset()): the process ends at once, with no
// exception that code could catch; the simulator starts the board again.
static mp_obj_t simboard_reset(void) {
    _exit(SIMBOARD_HARD_RESET);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_0(simboard_reset_obj, simboard_reset);

static const mp_rom_map_elem_t simboard_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_simboard) },
    { MP_ROM_QSTR(MP_QSTR_console), MP_ROM_PTR(&simboard_console_obj) },
    { MP_ROM_QSTR(MP_QSTR_run), MP_ROM_PTR(&simboard_run_obj) },
    { MP_ROM_QSTR(MP_QSTR_repl), MP_ROM_PTR(&simboard_repl_obj) },
    { MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&simboard_reset_obj) },
    { MP_ROM_QSTR(MP_QSTR_NORMAL_EXIT), MP_ROM_INT(PYEXEC_NORMAL_EXIT) },
    { MP_ROM_QSTR(MP_QSTR_FORCED_EXIT), MP_ROM_INT(PYEXEC_FORCED_EXIT) },
    { MP_ROM_QSTR(MP_QSTR_HARD_RESET), MP_ROM_INT(SIMBOARD_HARD_RESET) },
};
static MP_DEFINE_CONST_DICT(simboard_globals, simboard_globals_table);

const mp_obj_module_t simboard_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&simboard_globals,
};

MP_REGISTER_MODULE(MP_QSTR_simboard, simboard_module);
