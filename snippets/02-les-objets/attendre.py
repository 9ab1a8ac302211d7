# --8<-- [start:preambule]
import logging
import os
import time

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
# --8<-- [end:affichage]


# --8<-- [start:taches_inegales]
@ray.remote
def calcule(secondes):
    """Une tâche qui dure `secondes` ; elle renvoie aussi son processus et ses instants de début et de fin."""
    debut = time.time()
    time.sleep(secondes)
    return secondes, os.getpid(), debut, time.time()


def traite(resultat):
    """Le travail du driver sur chaque résultat : 0,3 s."""
    time.sleep(0.3)
    return resultat[0]


durees = [1.2, 0.2, 0.6, 0.4]
_ = ray.get([calcule.remote(0.1) for _ in range(len(durees))])  # des processus worker prêts, avant de mesurer
# --8<-- [end:taches_inegales]

# --8<-- [start:tout_attendre]
debut = time.time()
refs = [calcule.remote(s) for s in durees]
traitements = []  # (début, fin) de chaque traitement par le driver
resultats_get = ray.get(refs)  # attend la plus lente…
for resultat in resultats_get:  # … puis traite tout
    t0 = time.time()
    traite(resultat)
    traitements.append((t0, time.time()))
duree_get = time.time() - debut
chrono_get = (debut, resultats_get, traitements)
print(f"ray.get de toute la liste, puis traitement : {fr(duree_get)} s")
# --8<-- [end:tout_attendre]

# --8<-- [start:au_fil_de_l_eau]
debut = time.time()
en_cours = [calcule.remote(s) for s in durees]
resultats_wait, traitements, ordre = [], [], []
while en_cours:
    [pret], en_cours = ray.wait(en_cours, num_returns=1)  # un résultat prêt (le premier terminé, s'il est seul prêt)
    resultat = ray.get(pret)
    t0 = time.time()
    ordre.append(traite(resultat))
    traitements.append((t0, time.time()))
    resultats_wait.append(resultat)
duree_wait = time.time() - debut
chrono_wait = (debut, resultats_wait, traitements)
print(f"ray.wait, chaque résultat traité dès qu'il arrive : {fr(duree_wait)} s")
print(f"Premier résultat traité : celui de la tâche de {fr(ordre[0], 1)} s")
# --8<-- [end:au_fil_de_l_eau]

# --8<-- [start:graphique_chronologie]
fig, axes = plt.subplots(
    2, 1, sharex=True, figsize=(7, 3.8),
    num="Chronologie de quatre tâches de durées inégales et du traitement de leurs résultats par le driver, "
    "avec ray.get de toute la liste puis avec ray.wait, mesurée à la construction de la page",
)
for ax, titre, (t_depart, resultats, traitements) in zip(
    axes, ["ray.get de toute la liste", "ray.wait, au fil de l'eau"], [chrono_get, chrono_wait]
):
    lignes = {pid: i + 1 for i, pid in enumerate(sorted({pid for _, pid, _, _ in resultats}))}
    for secondes, pid, t0, t1 in resultats:
        ax.barh(lignes[pid], t1 - t0, left=t0 - t_depart, height=0.6, color="C0", edgecolor="white")
        ax.text(t0 - t_depart + 0.02, lignes[pid], fr(secondes, 1), va="center", fontsize="small", color="white")
    for t0, t1 in traitements:
        ax.barh(0, t1 - t0, left=t0 - t_depart, height=0.6, color="C1", edgecolor="white")
    ax.set_yticks([0, *lignes.values()], ["driver", *[f"worker {i}" for i in lignes.values()]])
    ax.set_title(titre, fontsize="medium")
axes[-1].set_xlabel("temps depuis la soumission (s)")
axes[-1].set_xlim(left=0)
axes[-1].xaxis.set_major_formatter(lambda x, _: f"{x:g}".replace(".", ","))  # virgule décimale
fig.tight_layout()
plt.show()
# --8<-- [end:graphique_chronologie]

# --8<-- [start:verification_attente]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
assert duree_get >= max(durees) + 0.3 * len(durees), "ray.get de tout devrait attendre la plus lente, puis tout traiter"
assert duree_wait < duree_get, "traiter au fil de l'eau n'a pas été plus rapide"
assert resultats_wait[0][3] == min(r[3] for r in resultats_wait), "le premier traité n'est pas le premier terminé"
# --8<-- [end:verification_attente]


# --8<-- [start:limite_en_vol]
@ray.remote
def etape(x):
    time.sleep(0.1)
    return x * x


MAX_EN_VOL = 3
en_vol, resultats, plus_grand_nombre_en_vol = [], [], 0
for x in range(20):
    if len(en_vol) >= MAX_EN_VOL:  # attendre qu'une tâche finisse avant d'en soumettre une autre
        prets, en_vol = ray.wait(en_vol, num_returns=1)
        resultats += ray.get(prets)
    en_vol.append(etape.remote(x))
    plus_grand_nombre_en_vol = max(plus_grand_nombre_en_vol, len(en_vol))
resultats += ray.get(en_vol)
print(f"{len(resultats)} résultats ; au plus {plus_grand_nombre_en_vol} tâches en vol à la fois")
assert sorted(resultats) == [x * x for x in range(20)] and plus_grand_nombre_en_vol <= MAX_EN_VOL
# --8<-- [end:limite_en_vol]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
