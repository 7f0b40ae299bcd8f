"""The seed's KNN exercise with nothing around it: the bare work `coursework run iris_knn` is compared to.

Load iris, split 60/40 with random_state=1, fit k=3, print the test accuracy (what the deck's notebook does).
"""

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

features, labels = load_iris(return_X_y=True)
x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.4, random_state=1)
model = KNeighborsClassifier(n_neighbors=3).fit(x_train, y_train)
print(f"accuracy {model.score(x_test, y_test):.4f}")
