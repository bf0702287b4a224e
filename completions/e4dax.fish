# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_e4dax_global_optspecs
    string join \n json no-checkpoint h/help V/version
end

function __fish_e4dax_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_e4dax_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_e4dax_using_subcommand
    set -l cmd (__fish_e4dax_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c e4dax -n "__fish_e4dax_needs_command" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_needs_command" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_needs_command" -s V -l version -d 'Print version'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "mkfs" -d 'Create an ext4 file system image (block size 4096, as DAX needs)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "create" -d 'Create a file or directory'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "fallocate" -d 'Allocate unwritten extents over a range, as fallocate(2)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "punch" -d 'Punch a hole: free the blocks of a range (size unchanged)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "rm" -d 'Remove a file or an empty directory'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "ls" -d 'List a directory (names and inode numbers)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "read" -d 'Read a file: holes and unwritten extents read as zeros'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "journal-replay" -d 'Replay the journal as mount or e2fsck would, and report what it held'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "fsck" -d 'Check (and repair) a file system, as e2fsck does, with e2fsck\'s exit codes'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "inspect" -d 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "generate" -d 'Write man pages or shell completions (for packagers and the repository)'
complete -c e4dax -n "__fish_e4dax_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l size -d 'Image size: bytes, or with a K, M, G or T suffix (at least 16M)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l journal-size -d 'Journal size (default: as mkfs.ext4 picks for the image size)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l inodes -d 'Number of inodes (default: one per 16 KiB)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l uuid -d 'File system UUID (default: random)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l label -d 'Volume label (at most 16 bytes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l time -d 'Creation time in seconds since the epoch (default: now); with --uuid, output is reproducible' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l block-size -d 'Block size; only 4096 is accepted (DAX needs block size = page size)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l poison -d 'Fill every free block with the stale-data pattern (see README)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l no-journal -d 'Make a file system without a journal (for the ext2 policy)'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l force -d 'Overwrite an existing non-empty file'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand mkfs" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l dir -d 'Create a directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -s p -l parents -d 'Create missing parent directories too'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand create" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l offset -d 'Byte offset (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l len -d 'Length in bytes (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l keep-size -d 'fallocate only: do not change the file size (unwritten extents may lie past it)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand fallocate" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l offset -d 'Byte offset (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l len -d 'Length in bytes (accepts K, M, G, T suffixes)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l keep-size -d 'fallocate only: do not change the file size (unwritten extents may lie past it)'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand punch" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand rm" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand ls" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l offset -d 'Byte offset to start at' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l len -d 'Bytes to read (default: to the end of the file)' -r
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l out -d 'Write the bytes to FILE instead of standard output' -r -F
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l hexdump -d 'Print a hex dump instead of raw bytes'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l check-stale -d 'Report every stale-data pattern inside written extents; exit 1 if there is any'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand read" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -l dry-run -d 'Report what would be replayed without writing anything'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand journal-replay" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s n -d 'Check only: open read-only and change nothing (the default)'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s p -d 'Fix only what is safe without asking; exit 4 when anything else is found'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s y -d 'Fix everything that can be fixed'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s f -d 'Accepted for e2fsck compatibility: checks are always full'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l data -d 'Also report stale data (the poison pattern) inside written extents'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand fsck" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "super" -d 'The superblock and journal superblock (like dumpe2fs -h)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "inode" -d 'One inode\'s fields (like debugfs stat)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and not __fish_seen_subcommand_from super groups extents journal inode help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from super" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from super" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from super" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from groups" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from extents" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from extents" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from extents" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from journal" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from journal" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from journal" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from inode" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from inode" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from inode" -s h -l help -d 'Print help'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "super" -d 'The superblock and journal superblock (like dumpe2fs -h)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "inode" -d 'One inode\'s fields (like debugfs stat)'
complete -c e4dax -n "__fish_e4dax_using_subcommand inspect; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand generate" -l json -d 'Print machine-readable JSON instead of tables'
complete -c e4dax -n "__fish_e4dax_using_subcommand generate" -l no-checkpoint -d 'Writing commands: leave committed transactions in the journal (no checkpoint), for inspection and replay'
complete -c e4dax -n "__fish_e4dax_using_subcommand generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "mkfs" -d 'Create an ext4 file system image (block size 4096, as DAX needs)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "create" -d 'Create a file or directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "fallocate" -d 'Allocate unwritten extents over a range, as fallocate(2)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "punch" -d 'Punch a hole: free the blocks of a range (size unchanged)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "rm" -d 'Remove a file or an empty directory'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "ls" -d 'List a directory (names and inode numbers)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "read" -d 'Read a file: holes and unwritten extents read as zeros'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "journal-replay" -d 'Replay the journal as mount or e2fsck would, and report what it held'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "fsck" -d 'Check (and repair) a file system, as e2fsck does, with e2fsck\'s exit codes'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "inspect" -d 'Show on-disk structures, as dumpe2fs and debugfs do; never writes'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "generate" -d 'Write man pages or shell completions (for packagers and the repository)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and not __fish_seen_subcommand_from mkfs create fallocate punch rm ls read journal-replay fsck inspect generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "super" -d 'The superblock and journal superblock (like dumpe2fs -h)'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "groups" -d 'Every block group: flags, bitmaps, inode table, free counts, checksums'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "extents" -d 'A file\'s extent tree level by level (like debugfs ex), with node checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "journal" -d 'The journal\'s log block by block (like debugfs logdump -a), with checksum verdicts'
complete -c e4dax -n "__fish_e4dax_using_subcommand help; and __fish_seen_subcommand_from inspect" -f -a "inode" -d 'One inode\'s fields (like debugfs stat)'
