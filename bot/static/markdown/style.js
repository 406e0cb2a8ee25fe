/**
 * The look of a chat message and of rendered Markdown (markdown/render.js), written once: the widget puts
 * it in its own styles (bot/static/widget/styles.js) and the admin console's live preview adds it to the
 * page (admin/main.js), so a preview looks as the customer will see it.
 */
export const MESSAGE_CSS = `
.kundresa-msg{display:flex;flex-direction:column;max-width:88%;animation:kundresa-pop .16s ease-out}
@keyframes kundresa-pop{from{opacity:0;transform:translateY(4px)}to{opacity:1;transform:none}}
.kundresa-msg--them{align-self:flex-start;align-items:flex-start}
.kundresa-bubble{padding:10px 13px;border-radius:14px;background:#fff;border:1px solid #e3e6e8;white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}
.kundresa-msg--them .kundresa-bubble{border-bottom-left-radius:4px}
.kundresa-md{white-space:normal}
.kundresa-p{margin:0 0 .55em;padding:0}
.kundresa-p:last-child,.kundresa-list:last-child{margin-bottom:0}
.kundresa-mdh{font-weight:700}
.kundresa-list{margin:0 0 .55em;padding:0 0 0 1.3em}
.kundresa-list li{margin:.15em 0;padding:0}
.kundresa-ul{list-style:disc}
.kundresa-ol{list-style:decimal}
.kundresa-code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef0f2;padding:1px 4px;border-radius:4px}
.kundresa-link{color:#1a5fb4;text-decoration:underline;overflow-wrap:anywhere}
.kundresa-article{margin:0 0 6px;font-size:12px;font-weight:700;letter-spacing:.02em;text-transform:uppercase;color:var(--kundresa-accent)}
`;
