#!/bin/sh
# The VM lab's /init, run by the initramfs' static busybox in two stages.
#
# Stage 1 (PID 1 in the initramfs, no arguments): builds the root the
# command runs in. The host's / (9p, exported read-only) is the lower layer
# of an overlay whose upper layer is RAM, so the command may write anywhere
# and nothing reaches the host except in the working directory, which is
# mounted read-write at its own path. The host has no modules for this
# kernel: the unpacked module tree and kmod from the lab's cache are put
# where modprobe looks. Then switch_root runs this file again as stage 2.
#
# Stage 2 (PID 1 in the new root, argument "run"): runs run.sh from the
# host, its output (stdout and stderr together) to ttyS1, writes its exit
# status to the state directory and powers off, which ends QEMU.
#
# The host writes config (shell assignments) and run.sh into the state
# directory (9p tag "state"); "started" and "rc" are written back there.

GUEST=/run/statenet-vm
STATE=$GUEST/state

if [ "$1" = run ]; then
	B=$GUEST/busybox
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root
	$B mkdir -p /dev/pts /dev/shm
	$B mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
	$B mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
	[ -e /dev/fd ] || $B ln -s /proc/self/fd /dev/fd
	$B hostname statenet-vm
	# The kernel loads crypto modules (ccm for CCMP keys, ...) through this.
	echo /usr/local/sbin/modprobe >/proc/sys/kernel/modprobe
	$B ip link set lo up
	# Raw: no echo, no newline translation of the command's output.
	$B stty -F /dev/ttyS1 raw -echo -opost
	# The host takes this file's modification time as the end of the boot.
	: >$STATE/started
	# Through cat, so the command sees a pipe as the host's caller does, not a tty.
	{
		/bin/sh $STATE/run.sh </dev/null 2>&1
		echo $? >$GUEST/rc
	} | $B cat >/dev/ttyS1
	# cat has closed ttyS1 above only once the UART sent everything.
	$B cp $GUEST/rc $STATE/rc
	$B sync
	$B poweroff -f
	# Should poweroff ever return: PID 1 ending panics, and panic=-1 ends QEMU.
	exit 1
fi

export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "statenet-vm init: $*" >/dev/console
	for dir in /state /newroot$STATE; do
		if [ -f $dir/config ]; then
			echo "$*" >$dir/init-failed
			echo 126 >$dir/rc
		fi
	done
	sync
	poweroff -f
	exit 1
}

while read -r module; do
	insmod "/modules/$module" || fail "insmod $module"
done </modules/order

# msize: 512 KiB messages instead of 8 KiB. cache=loose on the read-only
# host root lets the guest keep binaries in its page cache: most of the speed.
P9=trans=virtio,version=9p2000.L,msize=524288
mkdir -p /state /lower /rw /newroot
mount -t 9p -o $P9,cache=none state /state || fail "cannot mount the state directory"
# MODULES, KMOD, WORKDIR
. /state/config
mount -t 9p -o $P9,cache=loose,ro hostroot /lower || fail "cannot mount the host root"
mount -t tmpfs -o mode=755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	fail "cannot mount the overlay root"

# The host's /run holds its live sockets and pid files: start empty.
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /newroot/run
mkdir -p /newroot$STATE /newroot/run/lock
mount --move /state /newroot$STATE

release=$(uname -r)
mkdir -p "/newroot/lib/modules/$release"
mount --bind "/lower$MODULES" "/newroot/lib/modules/$release" || fail "cannot mount $MODULES"
mkdir -p /newroot/usr/local/sbin
for tool in modprobe insmod rmmod lsmod modinfo depmod; do
	# kmod acts as the tool its name says.
	ln -sf "$KMOD" "/newroot/usr/local/sbin/$tool"
done

mkdir -p "/newroot$WORKDIR"
mount -t 9p -o $P9,cache=loose work "/newroot$WORKDIR" || fail "cannot mount $WORKDIR"

mkdir -p /newroot$GUEST
cp /bin/busybox /newroot$GUEST/busybox
cp /init /newroot$GUEST/init
mount --move /dev /newroot/dev
mount --move /sys /newroot/sys
mount --move /proc /newroot/proc
exec switch_root /newroot $GUEST/busybox sh $GUEST/init run
