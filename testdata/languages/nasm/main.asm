; Sum the integers on stdin. x86-64 Linux, system calls only (no C library).
section .bss
buf:    resb 65536
out:    resb 32

section .text
global _start
_start:
    xor r12, r12            ; the sum
    xor r13, r13            ; the number being read
    xor r14, r14            ; 1 while inside a number
    xor r15, r15            ; 1 when that number is negative
.read:
    xor eax, eax            ; read(0, buf, 65536)
    xor edi, edi
    lea rsi, [rel buf]
    mov edx, 65536
    syscall
    test rax, rax
    jle .eof
    lea rsi, [rel buf]
    lea rcx, [rsi + rax]    ; end of what was read
.next:
    cmp rsi, rcx
    jae .read
    movzx eax, byte [rsi]
    inc rsi
    cmp al, '-'
    je .minus
    sub al, '0'
    cmp al, 9
    ja .separator
    imul r13, r13, 10
    add r13, rax
    mov r14, 1
    jmp .next
.minus:
    mov r15, 1
    jmp .next
.separator:
    call .flush
    jmp .next
.eof:
    call .flush
    lea rdi, [rel out + 31] ; digits are written backwards from the end of out
    mov byte [rdi], 10
    mov rax, r12
    test rax, rax
    jns .digits
    neg rax
.digits:
    mov r9, 10
.digit:
    xor edx, edx
    div r9
    add dl, '0'
    dec rdi
    mov [rdi], dl
    test rax, rax
    jnz .digit
    test r12, r12
    jns .write
    dec rdi
    mov byte [rdi], '-'
.write:
    mov rsi, rdi            ; write(1, rdi, out+32-rdi)
    lea rdx, [rel out + 32]
    sub rdx, rsi
    mov eax, 1
    mov edi, 1
    syscall
    mov eax, 60             ; exit(0)
    xor edi, edi
    syscall

.flush:                     ; add the number just read (if any) to the sum
    test r14, r14
    jz .clear
    test r15, r15
    jz .add
    neg r13
.add:
    add r12, r13
.clear:
    xor r13, r13
    xor r14, r14
    xor r15, r15
    ret
