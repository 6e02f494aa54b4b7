import type { Express } from 'express';
import { page } from './html.js';

// The inbox talks to /graphql with the key the user pastes (kept in sessionStorage only).
const SCRIPT = `
const q=(s)=>document.querySelector(s);const key=()=>sessionStorage.getItem('llmteamKey')||'';
async function gql(query,variables){const r=await fetch('/graphql',{method:'POST',headers:{'content-type':'application/json',authorization:'Bearer '+key()},body:JSON.stringify({query,variables})});const j=await r.json();if(j.errors)throw new Error(j.errors[0].message);return j.data;}
function esc(s){return String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);}
async function load(){const list=q('#inbox');try{const d=await gql('{ interactions { id title type priority status deadline runId description } }');
list.innerHTML=d.interactions.length?d.interactions.map(i=>'<li><strong>'+esc(i.title)+'</strong> <small>'+esc(i.type)+' · '+esc(i.priority)+' · run '+esc(i.runId)+(i.deadline?' · due '+esc(i.deadline):'')+'</small><br>'+esc(i.description)+'<br><button class="approve" data-id="'+esc(i.id)+'" data-a="approve">Approve</button><button class="reject" data-id="'+esc(i.id)+'" data-a="reject">Reject</button></li>').join(''):'<li>Nothing waiting for you.</li>';}catch(e){list.innerHTML='<li>'+esc(e.message)+'</li>';}}
document.addEventListener('click',async(e)=>{const b=e.target.closest('button[data-a]');if(!b)return;try{await gql('mutation($id:ID!){ '+b.dataset.a+'(requestId:$id){ id status } }',{id:b.dataset.id});}catch(err){alert(err.message);}load();});
q('#key').value=key();q('#save').onclick=()=>{sessionStorage.setItem('llmteamKey',q('#key').value.trim());load();};load();`;

/** `GET /`: a minimal approval inbox for people (served by the gateway, no build step). */
export function mountConsole(app: Express): void {
  const html = page(
    'llmteam inbox',
    `<h1>Approval inbox</h1><p><input id="key" type="password" placeholder="API key (llmt_...)" size="40"> <button id="save">Use key</button></p><ul id="inbox"></ul><script>${SCRIPT}</script>`,
  );
  app.get('/', (_req, res) => {
    res
      .set(
        'Content-Security-Policy',
        "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
      )
      .type('html')
      .send(html);
  });
}
