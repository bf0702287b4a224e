_e4dax() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="e4dax"
                ;;
            e4dax,crash)
                cmd="e4dax__subcmd__crash"
                ;;
            e4dax,create)
                cmd="e4dax__subcmd__create"
                ;;
            e4dax,demo)
                cmd="e4dax__subcmd__demo"
                ;;
            e4dax,fallocate)
                cmd="e4dax__subcmd__fallocate"
                ;;
            e4dax,fault)
                cmd="e4dax__subcmd__fault"
                ;;
            e4dax,fsck)
                cmd="e4dax__subcmd__fsck"
                ;;
            e4dax,generate)
                cmd="e4dax__subcmd__generate"
                ;;
            e4dax,help)
                cmd="e4dax__subcmd__help"
                ;;
            e4dax,inspect)
                cmd="e4dax__subcmd__inspect"
                ;;
            e4dax,journal-replay)
                cmd="e4dax__subcmd__journal__subcmd__replay"
                ;;
            e4dax,ls)
                cmd="e4dax__subcmd__ls"
                ;;
            e4dax,mkfs)
                cmd="e4dax__subcmd__mkfs"
                ;;
            e4dax,msync)
                cmd="e4dax__subcmd__msync"
                ;;
            e4dax,punch)
                cmd="e4dax__subcmd__punch"
                ;;
            e4dax,read)
                cmd="e4dax__subcmd__read"
                ;;
            e4dax,rm)
                cmd="e4dax__subcmd__rm"
                ;;
            e4dax,run)
                cmd="e4dax__subcmd__run"
                ;;
            e4dax,truncate)
                cmd="e4dax__subcmd__truncate"
                ;;
            e4dax,write)
                cmd="e4dax__subcmd__write"
                ;;
            e4dax__subcmd__crash,help)
                cmd="e4dax__subcmd__crash__subcmd__help"
                ;;
            e4dax__subcmd__crash,merge)
                cmd="e4dax__subcmd__crash__subcmd__merge"
                ;;
            e4dax__subcmd__crash,replay)
                cmd="e4dax__subcmd__crash__subcmd__replay"
                ;;
            e4dax__subcmd__crash__subcmd__help,help)
                cmd="e4dax__subcmd__crash__subcmd__help__subcmd__help"
                ;;
            e4dax__subcmd__crash__subcmd__help,merge)
                cmd="e4dax__subcmd__crash__subcmd__help__subcmd__merge"
                ;;
            e4dax__subcmd__crash__subcmd__help,replay)
                cmd="e4dax__subcmd__crash__subcmd__help__subcmd__replay"
                ;;
            e4dax__subcmd__help,crash)
                cmd="e4dax__subcmd__help__subcmd__crash"
                ;;
            e4dax__subcmd__help,create)
                cmd="e4dax__subcmd__help__subcmd__create"
                ;;
            e4dax__subcmd__help,demo)
                cmd="e4dax__subcmd__help__subcmd__demo"
                ;;
            e4dax__subcmd__help,fallocate)
                cmd="e4dax__subcmd__help__subcmd__fallocate"
                ;;
            e4dax__subcmd__help,fault)
                cmd="e4dax__subcmd__help__subcmd__fault"
                ;;
            e4dax__subcmd__help,fsck)
                cmd="e4dax__subcmd__help__subcmd__fsck"
                ;;
            e4dax__subcmd__help,generate)
                cmd="e4dax__subcmd__help__subcmd__generate"
                ;;
            e4dax__subcmd__help,help)
                cmd="e4dax__subcmd__help__subcmd__help"
                ;;
            e4dax__subcmd__help,inspect)
                cmd="e4dax__subcmd__help__subcmd__inspect"
                ;;
            e4dax__subcmd__help,journal-replay)
                cmd="e4dax__subcmd__help__subcmd__journal__subcmd__replay"
                ;;
            e4dax__subcmd__help,ls)
                cmd="e4dax__subcmd__help__subcmd__ls"
                ;;
            e4dax__subcmd__help,mkfs)
                cmd="e4dax__subcmd__help__subcmd__mkfs"
                ;;
            e4dax__subcmd__help,msync)
                cmd="e4dax__subcmd__help__subcmd__msync"
                ;;
            e4dax__subcmd__help,punch)
                cmd="e4dax__subcmd__help__subcmd__punch"
                ;;
            e4dax__subcmd__help,read)
                cmd="e4dax__subcmd__help__subcmd__read"
                ;;
            e4dax__subcmd__help,rm)
                cmd="e4dax__subcmd__help__subcmd__rm"
                ;;
            e4dax__subcmd__help,run)
                cmd="e4dax__subcmd__help__subcmd__run"
                ;;
            e4dax__subcmd__help,truncate)
                cmd="e4dax__subcmd__help__subcmd__truncate"
                ;;
            e4dax__subcmd__help,write)
                cmd="e4dax__subcmd__help__subcmd__write"
                ;;
            e4dax__subcmd__help__subcmd__crash,merge)
                cmd="e4dax__subcmd__help__subcmd__crash__subcmd__merge"
                ;;
            e4dax__subcmd__help__subcmd__crash,replay)
                cmd="e4dax__subcmd__help__subcmd__crash__subcmd__replay"
                ;;
            e4dax__subcmd__help__subcmd__inspect,blocks)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__blocks"
                ;;
            e4dax__subcmd__help__subcmd__inspect,bmap)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__bmap"
                ;;
            e4dax__subcmd__help__subcmd__inspect,extents)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__extents"
                ;;
            e4dax__subcmd__help__subcmd__inspect,groups)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__groups"
                ;;
            e4dax__subcmd__help__subcmd__inspect,icheck)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__icheck"
                ;;
            e4dax__subcmd__help__subcmd__inspect,inode)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__inode"
                ;;
            e4dax__subcmd__help__subcmd__inspect,journal)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__journal"
                ;;
            e4dax__subcmd__help__subcmd__inspect,map)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__map"
                ;;
            e4dax__subcmd__help__subcmd__inspect,ncheck)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__ncheck"
                ;;
            e4dax__subcmd__help__subcmd__inspect,super)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__super"
                ;;
            e4dax__subcmd__help__subcmd__inspect,testb)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__testb"
                ;;
            e4dax__subcmd__help__subcmd__inspect,testi)
                cmd="e4dax__subcmd__help__subcmd__inspect__subcmd__testi"
                ;;
            e4dax__subcmd__inspect,blocks)
                cmd="e4dax__subcmd__inspect__subcmd__blocks"
                ;;
            e4dax__subcmd__inspect,bmap)
                cmd="e4dax__subcmd__inspect__subcmd__bmap"
                ;;
            e4dax__subcmd__inspect,extents)
                cmd="e4dax__subcmd__inspect__subcmd__extents"
                ;;
            e4dax__subcmd__inspect,groups)
                cmd="e4dax__subcmd__inspect__subcmd__groups"
                ;;
            e4dax__subcmd__inspect,help)
                cmd="e4dax__subcmd__inspect__subcmd__help"
                ;;
            e4dax__subcmd__inspect,icheck)
                cmd="e4dax__subcmd__inspect__subcmd__icheck"
                ;;
            e4dax__subcmd__inspect,inode)
                cmd="e4dax__subcmd__inspect__subcmd__inode"
                ;;
            e4dax__subcmd__inspect,journal)
                cmd="e4dax__subcmd__inspect__subcmd__journal"
                ;;
            e4dax__subcmd__inspect,map)
                cmd="e4dax__subcmd__inspect__subcmd__map"
                ;;
            e4dax__subcmd__inspect,ncheck)
                cmd="e4dax__subcmd__inspect__subcmd__ncheck"
                ;;
            e4dax__subcmd__inspect,super)
                cmd="e4dax__subcmd__inspect__subcmd__super"
                ;;
            e4dax__subcmd__inspect,testb)
                cmd="e4dax__subcmd__inspect__subcmd__testb"
                ;;
            e4dax__subcmd__inspect,testi)
                cmd="e4dax__subcmd__inspect__subcmd__testi"
                ;;
            e4dax__subcmd__inspect__subcmd__help,blocks)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__blocks"
                ;;
            e4dax__subcmd__inspect__subcmd__help,bmap)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__bmap"
                ;;
            e4dax__subcmd__inspect__subcmd__help,extents)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__extents"
                ;;
            e4dax__subcmd__inspect__subcmd__help,groups)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__groups"
                ;;
            e4dax__subcmd__inspect__subcmd__help,help)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__help"
                ;;
            e4dax__subcmd__inspect__subcmd__help,icheck)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__icheck"
                ;;
            e4dax__subcmd__inspect__subcmd__help,inode)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__inode"
                ;;
            e4dax__subcmd__inspect__subcmd__help,journal)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__journal"
                ;;
            e4dax__subcmd__inspect__subcmd__help,map)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__map"
                ;;
            e4dax__subcmd__inspect__subcmd__help,ncheck)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__ncheck"
                ;;
            e4dax__subcmd__inspect__subcmd__help,super)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__super"
                ;;
            e4dax__subcmd__inspect__subcmd__help,testb)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__testb"
                ;;
            e4dax__subcmd__inspect__subcmd__help,testi)
                cmd="e4dax__subcmd__inspect__subcmd__help__subcmd__testi"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        e4dax)
            opts="-h -V --json --no-checkpoint --time --help --version mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash)
            opts="-h --policy --inject --at-step --granularity --max-states --seed --reduce --save --minimize --shard --jobs --svg --time --json --help replay merge help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --policy)
                    COMPREPLY=($(compgen -W "ext2 unwritten zeroed" -- "${cur}"))
                    return 0
                    ;;
                --inject)
                    COMPREPLY=($(compgen -W "skip-zero no-fence no-ordered lock-inversion" -- "${cur}"))
                    return 0
                    ;;
                --at-step)
                    COMPREPLY=($(compgen -W "start-pagefault update-time journal-start lock-entry get-block zero-block insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store commit checkpoint writeback msync" -- "${cur}"))
                    return 0
                    ;;
                --granularity)
                    COMPREPLY=($(compgen -W "line word8" -- "${cur}"))
                    return 0
                    ;;
                --max-states)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --seed)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --save)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --shard)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --svg)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__help)
            opts="replay merge help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__help__subcmd__merge)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__help__subcmd__replay)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__merge)
            opts="-h --svg --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --svg)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__crash__subcmd__replay)
            opts="-h --base --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --base)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__create)
            opts="-p -h --dir --parents --size --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__demo)
            opts="-h --dir --max-states --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --dir)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-states)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__fallocate)
            opts="-h --offset --len --no-checkpoint --time --keep-size --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__fault)
            opts="-h --offset --len --read --write --private --data --pattern --from --policy --inject --stop-after --keep-pending --trace --race-read-after --msync --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --data)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pattern)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -W "ext2 unwritten zeroed" -- "${cur}"))
                    return 0
                    ;;
                --inject)
                    COMPREPLY=($(compgen -W "skip-zero no-fence no-ordered lock-inversion" -- "${cur}"))
                    return 0
                    ;;
                --stop-after)
                    COMPREPLY=($(compgen -W "start-pagefault update-time journal-start lock-entry get-block zero-block insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store commit checkpoint writeback msync" -- "${cur}"))
                    return 0
                    ;;
                --race-read-after)
                    COMPREPLY=($(compgen -W "start-pagefault update-time journal-start lock-entry get-block zero-block insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store commit checkpoint writeback msync" -- "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__fsck)
            opts="-n -a -p -y -f -v -b -C -h --data --jobs --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                -b)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -C)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --jobs)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__generate)
            opts="-h --json --help man completions"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help)
            opts="mkfs create fallocate punch rm ls read journal-replay fsck inspect fault write truncate msync run crash demo generate help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__crash)
            opts="replay merge"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__crash__subcmd__merge)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__crash__subcmd__replay)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__create)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__demo)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__fallocate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__fault)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__fsck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__generate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect)
            opts="super groups extents journal inode icheck ncheck bmap blocks testb testi map"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__blocks)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__bmap)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__extents)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__groups)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__icheck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__inode)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__journal)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__map)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__ncheck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__super)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__testb)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__inspect__subcmd__testi)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__journal__subcmd__replay)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__ls)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__mkfs)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__msync)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__punch)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__read)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__rm)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__run)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__truncate)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__help__subcmd__write)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect)
            opts="-h --json --help super groups extents journal inode icheck ncheck bmap blocks testb testi map help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__blocks)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__bmap)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__extents)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__groups)
            opts="-h --full --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help)
            opts="super groups extents journal inode icheck ncheck bmap blocks testb testi map help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__blocks)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__bmap)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__extents)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__groups)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__icheck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__inode)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__journal)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__map)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__ncheck)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__super)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__testb)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__help__subcmd__testi)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 4 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__icheck)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__inode)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__journal)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__map)
            opts="-h --svg --file --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --svg)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --file)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__ncheck)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__super)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__testb)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__inspect__subcmd__testi)
            opts="-h --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__journal__subcmd__replay)
            opts="-h --dry-run --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__ls)
            opts="-l -h --long --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__mkfs)
            opts="-h --size --journal-size --inodes --uuid --label --poison --no-journal --force --block-size --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --journal-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inodes)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --uuid)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --label)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --block-size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__msync)
            opts="-h --offset --len --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__punch)
            opts="-h --offset --len --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__read)
            opts="-h --offset --len --out --hexdump --check-stale --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --out)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__rm)
            opts="-h --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__run)
            opts="-h --policy --inject --stop-after --keep-pending --trace --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --policy)
                    COMPREPLY=($(compgen -W "ext2 unwritten zeroed" -- "${cur}"))
                    return 0
                    ;;
                --inject)
                    COMPREPLY=($(compgen -W "skip-zero no-fence no-ordered lock-inversion" -- "${cur}"))
                    return 0
                    ;;
                --stop-after)
                    COMPREPLY=($(compgen -W "start-pagefault update-time journal-start lock-entry get-block zero-block insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store commit checkpoint writeback msync" -- "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__truncate)
            opts="-h --size --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --size)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        e4dax__subcmd__write)
            opts="-h --offset --len --data --pattern --from --policy --inject --stop-after --keep-pending --trace --no-checkpoint --time --json --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --len)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --data)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pattern)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --from)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --policy)
                    COMPREPLY=($(compgen -W "ext2 unwritten zeroed" -- "${cur}"))
                    return 0
                    ;;
                --inject)
                    COMPREPLY=($(compgen -W "skip-zero no-fence no-ordered lock-inversion" -- "${cur}"))
                    return 0
                    ;;
                --stop-after)
                    COMPREPLY=($(compgen -W "start-pagefault update-time journal-start lock-entry get-block zero-block insert-mapping convert-unwritten file-inode unlock-entry journal-stop end-pagefault user-store commit checkpoint writeback msync" -- "${cur}"))
                    return 0
                    ;;
                --time)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _e4dax -o nosort -o bashdefault -o default e4dax
else
    complete -F _e4dax -o bashdefault -o default e4dax
fi
