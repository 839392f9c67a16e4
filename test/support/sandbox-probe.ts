// A static C probe for the seccomp profile (policies/seccomp.json): it calls each
// syscall the sandbox must refuse, with arguments that would be harmless had it
// been allowed, and prints one JSON line per call: {"name","errno","trapped"}
// (errno 0 = success; trapped = a seccomp SIGSYS arrived, under a TRAP profile).

/** Syscalls the profile must answer with EPERM (the list, plus the mount API and handle escapes). */
export const MUST_EPERM = [
  'unshare(CLONE_NEWUSER)',
  'unshare(CLONE_NEWNET)',
  'setns',
  'mount',
  'umount2',
  'pivot_root',
  'chroot',
  'ptrace',
  'bpf',
  'keyctl',
  'add_key',
  'request_key',
  'perf_event_open',
  'userfaultfd',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
  'kexec_load',
  'kexec_file_load',
  'init_module',
  'finit_module',
  'delete_module',
  'reboot',
  'clone(CLONE_NEWUSER)',
  'clone(CLONE_NEWNS)',
  'clone(CLONE_NEWNET)',
  'clone(CLONE_NEWPID)',
  'open_tree',
  'fsopen',
  'move_mount',
  'open_by_handle_at',
  'swapon',
  'acct',
] as const

/** Must fail with ENOSYS so glibc and Node fall back to clone (DOCKER-HAZARDS.md "Seccomp for a Node runner"). */
export const MUST_ENOSYS = ['clone3'] as const

/** Controls: what the probe does that must keep working. */
export const MUST_SUCCEED = ['getpid', 'clone(fork)'] as const

export const PROBE_SOURCE = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t trapped;

/* SIGSYS with si_code SYS_SECCOMP (1): the filter's own answer, not the kernel's. */
static void on_sigsys(int sig, siginfo_t *info, void *ctx) {
  (void)sig; (void)ctx;
  if (info->si_code == 1) trapped = 1;
}

static void report(const char *name, long ret, int err) {
  printf("{\"name\":\"%s\",\"errno\":%d,\"trapped\":%s}\n", name, ret == -1 ? err : 0, trapped ? "true" : "false");
  fflush(stdout);
  trapped = 0;
}

#define PROBE(name, ...) do { errno = 0; long r_ = syscall(__VA_ARGS__); report(name, r_, errno); } while (0)

/* Raw clone without CLONE_VM: a child, if one is made, leaves at once. */
static void probe_clone(const char *name, unsigned long flags) {
  errno = 0;
  long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  int err = errno;
  if (r > 0) waitpid((pid_t)r, NULL, 0);
  report(name, r, err);
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGSYS, &sa, NULL);
  PROBE("getpid", SYS_getpid);
  probe_clone("clone(fork)", 0);
  probe_clone("clone(CLONE_NEWUSER)", CLONE_NEWUSER);
  probe_clone("clone(CLONE_NEWNS)", CLONE_NEWNS);
  probe_clone("clone(CLONE_NEWNET)", CLONE_NEWNET);
  probe_clone("clone(CLONE_NEWPID)", CLONE_NEWPID);
  PROBE("clone3", SYS_clone3, 0, 0);
  PROBE("setns", SYS_setns, -1, 0);
  PROBE("mount", SYS_mount, "none", "/tmp", "tmpfs", 0, 0);
  PROBE("umount2", SYS_umount2, "/tmp", MNT_DETACH);
  PROBE("pivot_root", SYS_pivot_root, ".", ".");
  PROBE("chroot", SYS_chroot, "/");
  PROBE("ptrace", SYS_ptrace, 16 /* PTRACE_ATTACH */, 999999, 0, 0);
  PROBE("bpf", SYS_bpf, 0, 0, 0);
  PROBE("keyctl", SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
  PROBE("add_key", SYS_add_key, "user", "wopr-probe", "x", 1, -3);
  PROBE("request_key", SYS_request_key, "user", "wopr-probe", 0, 0);
  PROBE("perf_event_open", SYS_perf_event_open, 0, 0, -1, -1, 0);
  PROBE("userfaultfd", SYS_userfaultfd, 0);
  PROBE("io_uring_setup", SYS_io_uring_setup, 1, 0);
  PROBE("io_uring_enter", SYS_io_uring_enter, -1, 0, 0, 0, 0, 0);
  PROBE("io_uring_register", SYS_io_uring_register, -1, 0, 0, 0);
  PROBE("kexec_load", SYS_kexec_load, 0, 0, 0, 0);
  PROBE("kexec_file_load", SYS_kexec_file_load, -1, -1, 0, "", 0);
  PROBE("init_module", SYS_init_module, 0, 0, "");
  PROBE("finit_module", SYS_finit_module, -1, "", 0);
  PROBE("delete_module", SYS_delete_module, "wopr_probe_none", 0);
  PROBE("reboot", SYS_reboot, 0, 0, 0, 0);
  PROBE("open_tree", SYS_open_tree, -100 /* AT_FDCWD */, "/", 0);
  PROBE("fsopen", SYS_fsopen, "tmpfs", 0);
  PROBE("move_mount", SYS_move_mount, -1, "", -1, "", 0);
  PROBE("open_by_handle_at", SYS_open_by_handle_at, -1, 0, 0);
  PROBE("swapon", SYS_swapon, "/tmp/none", 0);
  PROBE("acct", SYS_acct, 0);
  /* Last: had it been allowed, the probe would now live in a new user namespace. */
  PROBE("unshare(CLONE_NEWNET)", SYS_unshare, CLONE_NEWNET);
  PROBE("unshare(CLONE_NEWUSER)", SYS_unshare, CLONE_NEWUSER);
  return 0;
}
`
