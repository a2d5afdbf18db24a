# pty_drive.py INPUT CMD...: runs CMD on a terminal (a pty), as a person
# would: types each line of INPUT once the prompt is back (after the echo
# of the line before), then Ctrl-D; prints what the terminal showed and
# exits with CMD's status. Used by readme_session.sh.
import os, pty, re, select, sys, time

lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""

def more(deadline):
    global out
    r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
    if not r:
        return False
    try:
        data = os.read(fd, 65536)
    except OSError:
        return None
    if not data:
        return None
    out += data
    return True

# The first prompt may wait for a build (make run): PTY_FIRST_WAIT seconds.
first_wait = float(os.environ.get("PTY_FIRST_WAIT", "30"))

def wait(cond, what, seconds=30):
    deadline = time.time() + seconds
    while not cond():
        if time.time() > deadline or more(deadline) is None:
            sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
            sys.exit("pty_drive.py: waited for %s (%s)" % (what, "it ended" if time.time() <= deadline else "timed out"))

prompt = re.compile(rb"[^\n]*> $")
wait(lambda: prompt.search(out), "the first prompt", first_wait)
for line in lines:
    wait(lambda: prompt.search(out), "the prompt")
    start = len(out)
    os.write(fd, line.encode() + b"\n")
    echo = line.encode() + b"\r\n"
    wait(lambda: echo in out[start:] and prompt.search(out[start + out[start:].find(echo):]), "the prompt after " + line)
wait(lambda: prompt.search(out), "the last prompt")
os.write(fd, b"\x04")
deadline = time.time() + 30
while more(deadline):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
