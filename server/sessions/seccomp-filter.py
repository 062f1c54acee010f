# Writes the learner sandbox's seccomp filter, as the BPF program bubblewrap's --seccomp takes,
# with libseccomp (Debian's python3-seccomp): every syscall named on the command line answers
# EPERM; new namespaces through clone are refused the same way; clone3, whose flags a filter
# cannot read, answers ENOSYS so that the C library falls back to clone. Syscalls of another
# architecture (32-bit calls on a 64-bit kernel) kill the process: they would slip past the rules.
# usage: python3 seccomp-filter.py OUTPUT SYSCALL...
import errno
import sys

import seccomp

NAMESPACE_FLAGS = {
    'CLONE_NEWNS': 0x00020000,
    'CLONE_NEWCGROUP': 0x02000000,
    'CLONE_NEWUTS': 0x04000000,
    'CLONE_NEWIPC': 0x08000000,
    'CLONE_NEWUSER': 0x10000000,
    'CLONE_NEWPID': 0x20000000,
    'CLONE_NEWNET': 0x40000000,
    'CLONE_NEWTIME': 0x00000080,
}

output, names = sys.argv[1], sys.argv[2:]
rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
for name in names:
    rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
for flag in NAMESPACE_FLAGS.values():
    rules.add_rule(seccomp.ERRNO(errno.EPERM), 'clone', seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
rules.add_rule(seccomp.ERRNO(errno.ENOSYS), 'clone3')
with open(output, 'wb') as program:
    rules.export_bpf(program)
