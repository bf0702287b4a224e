
use builtin;
use str;

set edit:completion:arg-completer[e4dax] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'e4dax'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'e4dax'= {
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand mkfs 'Create an ext4 file system image (block size 4096, as DAX needs)'
            cand inspect 'Show on-disk structures, as dumpe2fs does; never writes'
            cand generate 'Write man pages or shell completions (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;mkfs'= {
            cand --size 'Image size: bytes, or with a K, M, G or T suffix (at least 16M)'
            cand --journal-size 'Journal size (default: as mkfs.ext4 picks for the image size)'
            cand --inodes 'Number of inodes (default: one per 16 KiB)'
            cand --uuid 'File system UUID (default: random)'
            cand --label 'Volume label (at most 16 bytes)'
            cand --time 'Creation time in seconds since the epoch (default: now); with --uuid, output is reproducible'
            cand --block-size 'Block size; only 4096 is accepted (DAX needs block size = page size)'
            cand --poison 'Fill every free block with the stale-data pattern (see README)'
            cand --no-journal 'Make a file system without a journal (for the ext2 policy)'
            cand --force 'Overwrite an existing non-empty file'
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect'= {
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
            cand super 'The superblock and journal superblock (like dumpe2fs -h)'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;inspect;super'= {
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;groups'= {
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'e4dax;inspect;help'= {
            cand super 'The superblock and journal superblock (like dumpe2fs -h)'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;inspect;help;super'= {
        }
        &'e4dax;inspect;help;groups'= {
        }
        &'e4dax;inspect;help;help'= {
        }
        &'e4dax;generate'= {
            cand --json 'Print machine-readable JSON instead of tables'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'e4dax;help'= {
            cand mkfs 'Create an ext4 file system image (block size 4096, as DAX needs)'
            cand inspect 'Show on-disk structures, as dumpe2fs does; never writes'
            cand generate 'Write man pages or shell completions (for packagers and the repository)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'e4dax;help;mkfs'= {
        }
        &'e4dax;help;inspect'= {
            cand super 'The superblock and journal superblock (like dumpe2fs -h)'
            cand groups 'Every block group: flags, bitmaps, inode table, free counts, checksums'
        }
        &'e4dax;help;inspect;super'= {
        }
        &'e4dax;help;inspect;groups'= {
        }
        &'e4dax;help;generate'= {
        }
        &'e4dax;help;help'= {
        }
    ]
    $completions[$command]
}
