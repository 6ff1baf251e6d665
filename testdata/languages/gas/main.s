# Sum the integers on stdin with scanf/printf from the C library.
    .section .rodata
in_fmt:
    .string "%lld"
out_fmt:
    .string "%lld\n"

    .text
    .globl main
main:
    pushq %rbx
    subq $16, %rsp              # 8(%rsp): the number read; keeps %rsp 16-aligned
    xorl %ebx, %ebx             # %rbx: the sum
1:
    leaq in_fmt(%rip), %rdi
    leaq 8(%rsp), %rsi
    xorl %eax, %eax
    call scanf@PLT
    cmpl $1, %eax
    jne 2f
    addq 8(%rsp), %rbx
    jmp 1b
2:
    leaq out_fmt(%rip), %rdi
    movq %rbx, %rsi
    xorl %eax, %eax
    call printf@PLT
    xorl %eax, %eax
    addq $16, %rsp
    popq %rbx
    ret

    .section .note.GNU-stack,"",@progbits
