/**
 * Widget: its CSS (the message and Markdown rules are markdown/style.js, shared with the admin preview).
 */
import { MESSAGE_CSS } from '../markdown/style.js';

/* ------------------------------------------------------------------ styles */

export const STYLES = `
.kundresa-root{all:initial;--kundresa-accent:#1f5f4a;--kundresa-accent-text:#fff;position:fixed;z-index:2147483000;right:0;bottom:0;
font:400 15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2327;-webkit-font-smoothing:antialiased}
.kundresa-root *,.kundresa-root *::before,.kundresa-root *::after{box-sizing:border-box}
.kundresa-root :where(button,textarea){font:inherit;color:inherit;margin:0;letter-spacing:normal;text-transform:none;text-shadow:none;box-shadow:none}
.kundresa-root :where(button){cursor:pointer;-webkit-appearance:none;appearance:none}
.kundresa-root :where(div,span,p,ul,ol,li,a,strong,em,code,label,h2,form){font-size:inherit;line-height:inherit;font-family:inherit;color:inherit;
letter-spacing:normal;text-transform:none;text-shadow:none;float:none}
.kundresa-root :focus{outline:none}
.kundresa-root :focus-visible{outline:3px solid #2b6fd6;outline-offset:2px}
.kundresa-root .kundresa-sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
.kundresa-icon{width:24px;height:24px;display:block}
#kundresa-launcher{position:fixed;right:var(--kundresa-x,20px);bottom:var(--kundresa-y,20px);width:60px;height:60px;border:0;border-radius:50%;padding:0;display:flex;align-items:center;
justify-content:center;background:var(--kundresa-accent);color:var(--kundresa-accent-text);box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s ease}
#kundresa-launcher:hover{transform:scale(1.05)}
#kundresa-launcher .kundresa-icon{width:28px;height:28px}
.kundresa-badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#d4351c;color:#fff;
font:700 12px/22px system-ui,sans-serif;text-align:center;border:2px solid #fff}
.kundresa-badge[hidden]{display:none}
.kundresa-left #kundresa-launcher{left:var(--kundresa-x,20px);right:auto}
.kundresa-root.kundresa-launcher-off:not(.kundresa-is-open) #kundresa-launcher{display:none}
#kundresa-panel{position:fixed;right:var(--kundresa-x,20px);bottom:calc(var(--kundresa-y,20px) + 72px);width:380px;
height:min(620px,calc(100vh - var(--kundresa-y,20px) - 92px));display:flex;flex-direction:column;
background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(0,0,0,.25);border:1px solid rgba(0,0,0,.08);animation:kundresa-in .18s ease-out}
#kundresa-panel[hidden]{display:none}
@keyframes kundresa-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
.kundresa-header{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 18px;background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-heading{flex:1;min-width:0}
.kundresa-title{margin:0;padding:0;font-weight:700;font-size:17px;line-height:1.3;color:inherit;border:0;background:none}
.kundresa-state{display:flex;align-items:center;gap:6px;font-size:12.5px;opacity:.9}
.kundresa-dot{width:8px;height:8px;border-radius:50%;background:#b9c2c8;flex:none}
.kundresa-root[data-status=online] .kundresa-dot{background:#5ee38f}
.kundresa-root[data-status=connecting] .kundresa-dot{background:#f5c451}
.kundresa-root[data-status=offline] .kundresa-dot{background:#ff8a7a}
.kundresa-close{width:40px;height:40px;border:0;border-radius:10px;background:transparent;color:inherit;display:flex;align-items:center;justify-content:center;padding:0}
.kundresa-close:hover{background:rgba(255,255,255,.16)}
.kundresa-close:focus-visible{outline-color:#fff}
.kundresa-scroll{flex:1;overflow-y:auto;padding:16px 14px 8px;background:#f5f6f7;overscroll-behavior:contain}
.kundresa-welcome{margin:0 0 12px;padding:12px 14px;background:#fff;border-radius:12px;border:1px solid #e3e6e8;color:#3b4349;font-size:14px}
.kundresa-welcome[hidden]{display:none}
#kundresa-messages{display:flex;flex-direction:column;gap:10px;margin:0;padding:0}
${MESSAGE_CSS}
.kundresa-msg--me{align-self:flex-end;align-items:flex-end}
.kundresa-msg--system{align-self:center;max-width:94%;text-align:center}
.kundresa-msg--me .kundresa-bubble{background:var(--kundresa-accent);color:var(--kundresa-accent-text);border-color:transparent;border-bottom-right-radius:4px}
.kundresa-msg[data-status=pending] .kundresa-bubble{opacity:.65}
.kundresa-msg[data-status=failed] .kundresa-bubble{background:#fff;color:#1d2327;border:1px solid #d4351c}
.kundresa-author{margin:0 0 3px 4px;font-size:12px;font-weight:600;color:#59636b}
.kundresa-meta{margin:4px 4px 0;font-size:12px;color:#59636b}
.kundresa-meta[hidden]{display:none}
.kundresa-inline-btn{border:0;background:none;padding:0;color:#a52714;font-weight:600;text-decoration:underline;font-size:12px}
.kundresa-system{padding:7px 12px;border-radius:10px;background:#e9eef0;color:#3b4349;font-size:13px}
.kundresa-msg[data-kind=handoff] .kundresa-system{background:#e6f2ec;color:#173f31}
.kundresa-msg[data-kind=error] .kundresa-system{background:#fdecea;color:#8a1c0d}
.kundresa-options,.kundresa-scale{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
.kundresa-option,.kundresa-score,.kundresa-fb{border:1px solid var(--kundresa-accent);background:#fff;color:var(--kundresa-accent);border-radius:999px;
padding:6px 12px;font-size:14px;font-weight:600;line-height:1.3;text-align:left}
.kundresa-option:hover:not(:disabled),.kundresa-score:hover:not(:disabled),.kundresa-fb:hover:not(:disabled){background:#eef5f2}
.kundresa-option[aria-pressed=true],.kundresa-score[aria-pressed=true]{background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-option:disabled,.kundresa-score:disabled{cursor:default;opacity:.6}
.kundresa-option[aria-pressed=true]:disabled,.kundresa-score[aria-pressed=true]:disabled{opacity:1}
.kundresa-score{width:40px;height:40px;padding:0;text-align:center;border-radius:50%}
.kundresa-scale-legend{display:flex;justify-content:space-between;width:100%;font-size:11.5px;color:#59636b;margin-top:4px}
.kundresa-feedback{display:flex;align-items:center;gap:6px;margin:5px 4px 0;font-size:12.5px;color:#59636b}
.kundresa-fb{padding:5px 10px;border-color:#cfd5d9;color:#59636b}
.kundresa-fb .kundresa-icon{width:15px;height:15px}
.kundresa-typing{display:flex;align-items:center;gap:8px;margin:10px 0 4px;font-size:12.5px;color:#59636b}
.kundresa-typing[hidden]{display:none}
.kundresa-dots{display:inline-flex;gap:3px;padding:9px 11px;background:#fff;border:1px solid #e3e6e8;border-radius:14px}
.kundresa-dots i{width:6px;height:6px;border-radius:50%;background:#8a949b;animation:kundresa-blink 1.2s infinite}
.kundresa-dots i:nth-child(2){animation-delay:.2s}.kundresa-dots i:nth-child(3){animation-delay:.4s}
@keyframes kundresa-blink{0%,80%,100%{opacity:.3}40%{opacity:1}}
.kundresa-footer{padding:8px 12px 12px;border-top:1px solid #e3e6e8;background:#fff}
#kundresa-human{display:block;margin:0 0 8px;border:0;background:none;padding:4px 2px;color:var(--kundresa-accent);font-size:13.5px;font-weight:600;text-decoration:underline}
#kundresa-human[aria-disabled=true]{opacity:.55;cursor:progress}
.kundresa-composer{display:flex;align-items:flex-end;gap:8px;margin:0;padding:0;border:0}
#kundresa-input{flex:1;min-height:44px;max-height:140px;resize:none;padding:11px 12px;border:1px solid #c5ccd1;border-radius:12px;background:#fff;
color:#1d2327;font-size:15px;line-height:1.4;overflow-y:auto;width:auto;height:44px}
#kundresa-input:focus-visible{outline:3px solid #2b6fd6;outline-offset:0;border-color:#2b6fd6}
#kundresa-send{width:44px;height:44px;flex:none;border:0;border-radius:12px;padding:0;display:flex;align-items:center;justify-content:center;
background:var(--kundresa-accent);color:var(--kundresa-accent-text)}
.kundresa-left #kundresa-panel{left:var(--kundresa-x,20px);right:auto}
.kundresa-time{margin-left:6px;font-size:11.5px;color:#7a848b;font-variant-numeric:tabular-nums}
.kundresa-msg--me .kundresa-meta{text-align:right}
.kundresa-card{margin:-2px 0 8px;padding:8px 10px;border-radius:10px;background:#f0f5f3;border:1px solid #d5e4dd;display:flex;gap:8px;align-items:center}
.kundresa-card .kundresa-article{margin:0;font-size:13.5px;text-transform:none;letter-spacing:0;color:#173f31}
.kundresa-card-kind{flex:none;font-size:11px;font-weight:700;text-transform:uppercase;letter-spacing:.04em;color:#59636b}
.kundresa-more{display:inline-block;margin-top:6px;border:0;background:none;padding:2px 0;color:var(--kundresa-accent);font-weight:600;font-size:13.5px;text-decoration:underline}
.kundresa-divider{display:flex;align-items:center;gap:10px;width:100%;font-size:12px;font-weight:600;color:#59636b;margin:4px 0}
.kundresa-divider::before,.kundresa-divider::after{content:"";flex:1;height:1px;background:#cfd5d9}
.kundresa-msg--wide{align-self:stretch;max-width:100%;align-items:center}
.kundresa-queue{margin:0 0 8px;padding:8px 10px;border-radius:10px;background:#e6f2ec;color:#173f31;font-size:13px}
.kundresa-queue[hidden],.kundresa-email[hidden],.kundresa-hint[hidden],#kundresa-human[hidden]{display:none}
.kundresa-queue[data-nobody=true]{background:#fff4e0;color:#5c3d00}
.kundresa-email{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px;align-items:center}
.kundresa-email p{margin:0;width:100%}
.kundresa-email input{flex:1;min-width:150px;height:36px;padding:6px 9px;border:1px solid #c5ccd1;border-radius:8px;font:inherit;font-size:14px;color:#1d2327;background:#fff}
.kundresa-email button{height:36px;padding:0 12px;border:0;border-radius:8px;background:var(--kundresa-accent);color:var(--kundresa-accent-text);font-weight:600;font-size:13.5px}
.kundresa-hint{margin:6px 2px 0;font-size:12.5px;color:#59636b}
.kundresa-hint[data-over=true]{color:#a52714;font-weight:600}
#kundresa-input[aria-invalid=true]{border-color:#d4351c}
.kundresa-offer{position:fixed;right:var(--kundresa-x,20px);bottom:calc(var(--kundresa-y,20px) + 74px);display:flex;align-items:flex-start;
width:max-content;max-width:min(320px,calc(100vw - var(--kundresa-x,20px) - 12px));background:#fff;color:#1d2327;border-radius:14px 14px 4px 14px;
border:1px solid rgba(0,0,0,.1);box-shadow:0 8px 28px rgba(0,0,0,.22);animation:kundresa-in .2s ease-out}
.kundresa-offer[hidden]{display:none}
.kundresa-left .kundresa-offer{left:var(--kundresa-x,20px);right:auto;border-radius:14px 14px 14px 4px}
.kundresa-offer-main{flex:1;min-width:0;display:flex;flex-direction:column;gap:2px;border:0;background:none;padding:12px 4px 12px 14px;text-align:left;border-radius:14px 0 0 14px}
.kundresa-offer-title{font-weight:700;font-size:15px;line-height:1.3}
.kundresa-offer-text{font-size:13.5px;color:#3b4349}
.kundresa-offer-cta{margin-top:4px;font-size:13.5px;font-weight:700;color:var(--kundresa-accent);text-decoration:underline}
.kundresa-offer-main:hover .kundresa-offer-cta{text-decoration-thickness:2px}
.kundresa-offer-close{flex:none;width:40px;height:40px;margin:4px 4px 0 0;border:0;border-radius:10px;background:none;color:#59636b;display:flex;align-items:center;justify-content:center;padding:0}
.kundresa-offer-close:hover{background:#eef0f2;color:#1d2327}
.kundresa-offer-close .kundresa-icon{width:18px;height:18px}
@media (max-width:480px){
#kundresa-launcher{bottom:var(--kundresa-y-m,var(--kundresa-y,20px))}
.kundresa-offer{bottom:calc(var(--kundresa-y-m,var(--kundresa-y,20px)) + 74px)}
#kundresa-panel{inset:0;right:0;bottom:0;width:100%;height:100%;height:100dvh;max-height:none;border-radius:0;border:0}
.kundresa-root.kundresa-is-open #kundresa-launcher{display:none}
.kundresa-left #kundresa-panel{left:0;right:0}
#kundresa-input{font-size:16px}
}
@media (prefers-reduced-motion:reduce){.kundresa-root *{animation:none!important;transition:none!important}}
`;
