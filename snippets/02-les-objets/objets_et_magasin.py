# --8<-- [start:preambule]
import logging
import time

import matplotlib.pyplot as plt
import numpy as np
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)
# --8<-- [end:preambule]


# --8<-- [start:affichage]
def fr(nombre, decimales=2):
    """Un nombre écrit à la française : virgule décimale, espace fine entre les milliers."""
    return f"{nombre:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")


def magasin_octets():
    """Octets occupés dans le magasin d'objets du cluster, une fois le chiffre stable (Ray le met à jour par à-coups)."""
    total = ray.cluster_resources()["object_store_memory"]
    avant, mesure = None, total - ray.available_resources()["object_store_memory"]
    for _ in range(20):
        if mesure == avant:
            break
        time.sleep(0.3)
        avant, mesure = mesure, total - ray.available_resources()["object_store_memory"]
    return mesure
# --8<-- [end:affichage]


# --8<-- [start:put_get]
valeurs = [1, 2, 3]
ref = ray.put(valeurs)  # l'objet est désormais dans Ray
print(ref)
lue = ray.get(ref)
print(f"{lue} : égale à l'original ({lue == valeurs}), mais pas le même objet Python ({lue is valeurs})")
# --8<-- [end:put_get]

# --8<-- [start:immuable]
valeurs.append(4)  # modifier l'original…
lue.append(5)  # … ou ce que ray.get a renvoyé…
print(f"L'objet dans Ray : {ray.get(ref)}")  # … ne change pas l'objet
# --8<-- [end:immuable]


# --8<-- [start:ou_vivent]
@ray.remote
def zeros(octets):
    return np.zeros(octets, dtype=np.uint8)


depart = magasin_octets()
petit = zeros.remote(10_000)  # 10 000 octets
ray.wait([petit])
apres_petit = magasin_octets()
grand = zeros.remote(20 * 2**20)  # 20 Mio
ray.wait([grand])
apres_grand = magasin_octets()
mis = ray.put(np.zeros(10_000, dtype=np.uint8))  # 10 000 octets aussi, mais par ray.put
apres_put = magasin_octets()
print(f"Résultat de 10 000 octets d'une tâche : +{fr(apres_petit - depart, 0)} octet dans le magasin d'objets")
print(f"Résultat de 20 Mio d'une tâche : +{fr((apres_grand - apres_petit) / 2**20, 1)} Mio")
print(f"ray.put de 10 000 octets : +{fr(apres_put - apres_grand, 0)} octets (les données, plus la description du tableau et l'en-tête de Ray)")
# --8<-- [end:ou_vivent]

# --8<-- [start:duree_de_vie]
del grand, mis  # plus aucun ObjectRef ne les désigne
apres_del = magasin_octets()
print(f"Après del : {fr((apres_del - depart) / 2**20, 1)} Mio de plus qu'au départ")
# --8<-- [end:duree_de_vie]


# --8<-- [start:gros_arguments]
@ray.remote
def premiere_valeur(tableau):
    time.sleep(1)  # la tâche garde son argument le temps de la mesure
    return float(tableau[0])


tableau = np.ones(20 * 2**20 // 8)  # 20 Mio de nombres à virgule
N = 4
depart = magasin_octets()
refs = [premiere_valeur.remote(tableau) for _ in range(N)]  # passé par valeur, à chaque appel
par_valeur = magasin_octets() - depart
ray.get(refs)

depart = magasin_octets()
tableau_ref = ray.put(tableau)  # mis une fois dans Ray…
refs = [premiere_valeur.remote(tableau_ref) for _ in range(N)]  # … et passé par son ObjectRef
par_reference = magasin_octets() - depart
ray.get(refs)
print(f"{N} tâches, tableau passé par valeur    : {fr(par_valeur / 2**20, 1)} Mio dans le magasin d'objets")
print(f"{N} tâches, tableau passé par ObjectRef : {fr(par_reference / 2**20, 1)} Mio")
# --8<-- [end:gros_arguments]


# --8<-- [start:mesure_durees]
@ray.remote
def somme(tableau):
    return float(tableau.sum())


def meilleur_temps(fonction, repetitions=3):
    """Plus petite durée (en secondes) parmi plusieurs exécutions."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction()
        durees.append(time.perf_counter() - debut)
    return min(durees)


nombres = [1, 2, 4, 8, 16]
temps_valeur, temps_reference = [], []
for n in nombres:
    temps_valeur.append(meilleur_temps(lambda: ray.get([somme.remote(tableau) for _ in range(n)])))
    temps_reference.append(meilleur_temps(lambda: ray.get([somme.remote(tableau_ref) for _ in range(n)])))
# --8<-- [end:mesure_durees]

# --8<-- [start:tableau_durees]
print(f"{'tâches':>6} | {'par valeur (ms)':>15} | {'par ObjectRef (ms)':>18}")
for n, valeur, reference in zip(nombres, temps_valeur, temps_reference):
    print(f"{n:>6} | {fr(valeur * 1000):>15} | {fr(reference * 1000):>18}")
# --8<-- [end:tableau_durees]

# --8<-- [start:graphique_durees]
fig, ax = plt.subplots(
    num="Durée de n tâches qui reçoivent le même tableau de 20 Mio, passé par valeur ou par son ObjectRef, "
    "en fonction de n, mesurée à la construction de la page",
    figsize=(7, 4),
)
ax.plot(nombres, [t * 1000 for t in temps_valeur], marker="o", label="tableau passé par valeur")
ax.plot(nombres, [t * 1000 for t in temps_reference], marker="o", label="ray.put une fois, puis son ObjectRef")
ax.set_xscale("log", base=2)
ax.set_xticks(nombres, [str(n) for n in nombres])
ax.set_ylim(bottom=0)
ax.set_xlabel("nombre de tâches n")
ax.set_ylabel("durée (ms)")
ax.yaxis.set_major_formatter(lambda y, _: f"{y:g}".replace(".", ","))  # virgule décimale
ax.set_title("Un tableau de 20 Mio passé à n tâches")
ax.legend()
plt.show()
# --8<-- [end:graphique_durees]

# --8<-- [start:conclusion_durees]
rapport = temps_valeur[-1] / temps_reference[-1]
print(f"Pour {nombres[-1]} tâches, passer le tableau par valeur a pris {fr(rapport, 1)} fois plus de temps "
      "que de le passer par son ObjectRef.")
# --8<-- [end:conclusion_durees]

# --8<-- [start:verification_mesures]
# Ce que dit le texte, vérifié sur les mesures ci-dessus (la construction les refait si elles le contredisent)
taille = tableau.nbytes
assert apres_petit - depart < 1_000, "un petit résultat de tâche est dans le magasin d'objets"
assert apres_del - depart < 1_000, "après del, la place n'a pas été rendue"
assert apres_grand - apres_petit >= 20 * 2**20 and apres_put - apres_grand >= 10_000, "un gros résultat, ou un ray.put, n'y est pas"
assert 0.95 * N * taille <= par_valeur <= 1.05 * N * taille, "par valeur : pas une copie par appel"
assert 0.95 * taille <= par_reference <= 1.05 * taille, "par ObjectRef : pas une seule copie"
ecarts = [valeur - reference for valeur, reference in zip(temps_valeur, temps_reference)]
assert ecarts[-1] > 2 * ecarts[0] and rapport > 2, "l'écart entre passer par valeur et par ObjectRef n'est pas plusieurs fois plus grand pour n = 16"
# --8<-- [end:verification_mesures]


# --8<-- [start:imbriques]
@ray.remote
def types_recus(argument, liste):
    return type(argument).__name__, type(liste[0]).__name__


ref = ray.put(np.ones(3))
print(f"Argument direct, puis dans une liste : {ray.get(types_recus.remote(ref, [ref]))}")


@ray.remote
def somme_des_tableaux(refs):
    return sum(float(tableau.sum()) for tableau in ray.get(refs))  # la tâche lit les objets elle-même


refs = [ray.put(np.full(3, i)) for i in range(4)]
print(f"Somme calculée dans la tâche : {fr(ray.get(somme_des_tableaux.remote(refs)), 1)}")
# --8<-- [end:imbriques]


# --8<-- [start:detour_par_le_driver]
@ray.remote
def produit():
    return np.ones(20 * 2**20 // 8)  # 20 Mio


@ray.remote
def consomme(tableau):
    time.sleep(1)
    return float(tableau.sum())


resultat = produit.remote()
ray.wait([resultat])
depart = magasin_octets()
direct = consomme.remote(resultat)  # l'ObjectRef, tel quel
direct_octets = magasin_octets() - depart
ray.get(direct)

depart = magasin_octets()
detour = consomme.remote(ray.get(resultat))  # ray.get, puis la valeur
detour_octets = magasin_octets() - depart
ray.get(detour)
print(f"ObjectRef passé tel quel : +{fr(direct_octets / 2**20, 1)} Mio dans le magasin d'objets")
print(f"Détour par le driver     : +{fr(detour_octets / 2**20, 1)} Mio")
assert direct_octets < 2**20 <= 0.95 * 20 * 2**20 <= detour_octets  # ce que dit le texte ci-dessus
# --8<-- [end:detour_par_le_driver]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
