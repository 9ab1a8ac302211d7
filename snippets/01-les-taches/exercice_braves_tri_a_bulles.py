# --8<-- [start:preambule]
import heapq
import logging
import random
import time

import matplotlib.pyplot as plt
import ray

if not ray.is_initialized():  # déjà connecté : rien à faire
    ray.init(logging_level=logging.ERROR, log_to_driver=False)

generateur = random.Random(2024)  # des nombres aléatoires, les mêmes à chaque exécution
# --8<-- [end:preambule]


# --8<-- [start:bubble_sort]
def bubble_sort(values):
    """Tri à bulles : renvoie une nouvelle liste triée, en n²/2 comparaisons au pire."""
    result = list(values)
    n = len(result)
    for i in range(n - 1):
        swapped = False
        for j in range(n - 1 - i):
            if result[j] > result[j + 1]:
                result[j], result[j + 1] = result[j + 1], result[j]
                swapped = True
        if not swapped:  # aucun échange : la liste est déjà triée
            break
    return result


exemple = [generateur.randint(0, 99) for _ in range(20)]
print(f"Avant : {exemple}")
print(f"Après : {bubble_sort(exemple)}")
assert bubble_sort(exemple) == sorted(exemple)
# --8<-- [end:bubble_sort]


# --8<-- [start:decoupage]
def split(values, k):
    """Découpe values en k morceaux de tailles voisines."""
    taille, reste = divmod(len(values), k)
    morceaux, debut = [], 0
    for i in range(k):
        fin = debut + taille + (1 if i < reste else 0)
        morceaux.append(values[debut:fin])
        debut = fin
    return morceaux


def bubble_sort_chunked_local(values, k):
    """Même algorithme que la version Ray, sans Ray : les k morceaux sont triés l'un après l'autre."""
    sorted_chunks = [bubble_sort(chunk) for chunk in split(values, k)]
    return list(heapq.merge(*sorted_chunks))
# --8<-- [end:decoupage]


# --8<-- [start:version_ray]
@ray.remote
def bubble_sort_task(chunk):
    return bubble_sort(chunk)


def bubble_sort_distributed(values, k):
    """Trie les k morceaux dans k tâches Ray en parallèle, puis fusionne les morceaux triés."""
    refs = [bubble_sort_task.remote(chunk) for chunk in split(values, k)]
    sorted_chunks = ray.get(refs)
    return list(heapq.merge(*sorted_chunks))
# --8<-- [end:version_ray]


# --8<-- [start:verification_tris]
def verifier_tri(tri, *arguments):
    for n in [0, 1, 2, 10, 101]:
        valeurs = [generateur.randint(0, 50) for _ in range(n)]  # avec des doublons
        copie = list(valeurs)
        try:
            resultat = tri(valeurs, *arguments)
        except NotImplementedError:
            raise AssertionError(f"{tri.__name__} n'est pas encore écrite.") from None
        assert valeurs == copie, f"{tri.__name__} ne doit pas modifier la liste qu'elle reçoit"
        assert resultat == sorted(valeurs), (
            f"{tri.__name__} sur une liste de {n} nombres{f', k = {arguments[0]}' if arguments else ''} : "
            "le résultat n'est pas sorted(values), la liste triée"
        )


verifier_tri(bubble_sort)
for k_essai in [1, 3, 8]:
    verifier_tri(bubble_sort_chunked_local, k_essai)
    verifier_tri(bubble_sort_distributed, k_essai)
print("✅ Les trois versions trient correctement, pour 1, 3 et 8 morceaux.")
# --8<-- [end:verification_tris]


# --8<-- [start:mesure]
k = int(ray.cluster_resources()["CPU"])  # un morceau par CPU du cluster
print(f"Nombre de morceaux k : {k}")


def meilleur_temps(fonction, *arguments, repetitions=3):
    """Plus petite durée (en secondes) parmi plusieurs exécutions."""
    durees = []
    for _ in range(repetitions):
        debut = time.perf_counter()
        fonction(*arguments)
        durees.append(time.perf_counter() - debut)
    return min(durees)


tailles = [250, 500, 1_000, 2_000, 4_000]
temps = {"local": [], "local découpé": [], "Ray": []}
print(f"{'n':>5} | {'local (s)':>9} | {'local découpé (s)':>17} | {'Ray (s)':>7}")
for n in tailles:
    valeurs = [generateur.random() for _ in range(n)]
    repetitions = 3 if n <= 1_000 else 2
    temps["local"].append(meilleur_temps(bubble_sort, valeurs, repetitions=repetitions))
    temps["local découpé"].append(
        meilleur_temps(bubble_sort_chunked_local, valeurs, k, repetitions=repetitions)
    )
    temps["Ray"].append(meilleur_temps(bubble_sort_distributed, valeurs, k, repetitions=repetitions))
    ligne = (
        f"{n:>5} | {temps['local'][-1]:>9.4f} | {temps['local découpé'][-1]:>17.4f} "
        f"| {temps['Ray'][-1]:>7.4f}"
    )
    print(ligne.replace(".", ","))  # virgule décimale
# --8<-- [end:mesure]

# --8<-- [start:graphique]
fig, ax = plt.subplots(
    num="Durée du tri à bulles local, du tri local découpé en morceaux et du tri "
    "découpé exécuté par des tâches Ray, en fonction du nombre d'éléments, "
    "mesurée à la construction de la page",
    figsize=(7, 4),
)
for nom, durees in temps.items():
    ax.plot(tailles, durees, marker="o", label=nom)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xticks(tailles, [str(n) for n in tailles])
ax.set_xticks([], minor=True)
ax.set_xlabel("nombre d'éléments n")
ax.set_ylabel("durée (s)")
ax.set_title(f"Tri à bulles, k = {k} morceaux")
ax.legend()
plt.show()
# --8<-- [end:graphique]


# --8<-- [start:conclusion]
def premiere_taille_gagnante(rapides, lents):
    """Plus petite taille à partir de laquelle « rapides » bat « lents » pour toutes les tailles suivantes."""
    for i, n in enumerate(tailles):
        if all(r < l for r, l in zip(rapides[i:], lents[i:])):
            return n
    return None


for reference in ["local", "local découpé"]:
    n_min = premiere_taille_gagnante(temps["Ray"], temps[reference])
    gain = temps[reference][-1] / temps["Ray"][-1]
    if n_min is None:
        rapport = f"{gain:.2f}".replace(".", ",")  # virgule décimale
        print(f"Ray ne bat pas la version « {reference} » dans cette plage de tailles "
              f"(rapport à n = {tailles[-1]} : {rapport}).")
    else:
        rapport = f"{gain:.1f}".replace(".", ",")
        print(f"Ray bat la version « {reference} » à partir de n = {n_min} "
              f"(à n = {tailles[-1]}, {rapport} fois plus rapide).")

part_decoupage = temps["local"][-1] / temps["local découpé"][-1]
part_parallelisme = temps["local découpé"][-1] / temps["Ray"][-1]
decoupage = f"{part_decoupage:.1f}".replace(".", ",")
print(f"À n = {tailles[-1]}, le découpage seul divise la durée par {decoupage} ; ", end="")
if part_parallelisme > 1:
    parallelisme = f"{part_parallelisme:.1f}".replace(".", ",")
    print(f"le parallélisme la divise encore par {parallelisme}.")
else:
    parallelisme = f"{part_parallelisme:.2f}".replace(".", ",")
    print(f"le parallélisme n'apporte rien de plus ici (rapport {parallelisme}).")
# --8<-- [end:conclusion]

# --8<-- [start:fin]
ray.shutdown()
# --8<-- [end:fin]
