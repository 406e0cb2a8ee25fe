"""Questions of every shape for the model tests: Swedish and English, one word to a long sentence."""

QUESTIONS = [
    "Can I pay with Swish?",
    "Hur lång är leveranstiden till Kiruna om jag beställer före klockan tre på fredag?",
    "refund",
    "My card payment was declined twice at checkout although I have money on the account, why?",
    "Var är mitt paket?",
    "Kan jag ångra mitt köp?",
]
