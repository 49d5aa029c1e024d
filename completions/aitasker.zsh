#compdef aitasker

_aitasker_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _AITASKER_COMPLETE=complete_zsh aitasker)
}

compdef _aitasker_completion aitasker
if (( $+compstate )); then
  _aitasker_completion "$@"
fi

