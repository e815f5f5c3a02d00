# A NOTIFY_SOCKET that reads each datagram's sender credentials (SCM_CREDENTIALS), as systemd
# does to apply NotifyAccess=. Prints LISTENING, then one JSON line per datagram: {pid, msg}.
# File descriptors passed along (systemd-notify's BARRIER=1) are closed, which releases the
# sender's wait, as systemd does.
import array, json, os, socket, struct, sys

path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
os.chmod(path, 0o777)
print("LISTENING", flush=True)
while True:
    msg, ancillary, _flags, _addr = s.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64 * 4))
    pid = -1
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array("i")
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(json.dumps({"pid": pid, "msg": msg.decode("utf-8", "replace")}), flush=True)
